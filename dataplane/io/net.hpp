#pragma once

// Short names for the Asio/Beast vocabulary used across the data plane.

#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace wharf::dataplane {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
template <typename T>
using awaitable = boost::asio::awaitable<T>;

// Errors come back as values (no exceptions on the data path, docs/architecture.md). Deferred, not
// use_awaitable: the coroutine awaits the operation itself, where use_awaitable wraps every
// operation in a coroutine of its own (a frame and a resumption per read and per write).
inline constexpr auto kNoThrow = asio::as_tuple(asio::deferred);
// For Beast's own composed operations (HTTP messages, the TLS handshake and shutdown), which
// in Boost 1.81 take handlers and use_awaitable but not deferred.
inline constexpr auto kNoThrowAwaitable = asio::as_tuple(asio::use_awaitable);

}  // namespace wharf::dataplane
