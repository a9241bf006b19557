#pragma once

// Short names for the Asio/Beast vocabulary used across the data plane.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace wharf::dataplane {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
template <typename T>
using awaitable = boost::asio::awaitable<T>;

// Errors come back as values (DESIGN.md: no exceptions on the data path).
inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Client and upstream streams: tcp_stream gives per-operation timeouts, which is how every
// idle timeout is implemented.
using Stream = beast::tcp_stream;

}  // namespace wharf::dataplane
