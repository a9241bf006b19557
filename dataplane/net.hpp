#pragma once

// Short names for the Asio/Beast vocabulary used across the data plane.

#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

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

// Client and upstream connections. TCP through beast::tcp_stream, whose per-operation timeouts
// implement every idle timeout; or, once a client connection has started TLS (detected per
// connection, so one port serves both), TLS over that same tcp_stream. It offers the
// tcp_stream interface the proxy code uses: reads and writes go through TLS when it is on,
// timeouts, cancel and close always act on the TCP layer.
class Stream {
 public:
  using executor_type = beast::tcp_stream::executor_type;
  using Tls = beast::ssl_stream<beast::tcp_stream>;

  explicit Stream(tcp::socket socket) : tcp_(std::move(socket)) {}
  explicit Stream(const executor_type& ex) : tcp_(ex) {}

  executor_type get_executor() noexcept { return transport().get_executor(); }
  beast::tcp_stream& transport() { return tls_ ? tls_->next_layer() : tcp_; }
  tcp::socket& socket() { return transport().socket(); }
  void expires_after(std::chrono::steady_clock::duration d) { transport().expires_after(d); }
  void expires_never() { transport().expires_never(); }
  void cancel() { transport().cancel(); }
  void close() { transport().close(); }
  template <typename Token>
  auto async_connect(const tcp::endpoint& ep, Token&& token) {
    return tcp_.async_connect(ep, std::forward<Token>(token));
  }

  // Both branches complete with (error_code, size_t), so they return the same type for any
  // completion token.
  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Token>(token));
    return tcp_.async_read_some(buffers, std::forward<Token>(token));
  }
  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<Token>(token));
    return tcp_.async_write_some(buffers, std::forward<Token>(token));
  }

  // Switches to TLS: the TCP stream moves under an SSL stream made from `ctx`. The handshake is
  // then run by the caller: as the server with the bytes already read (a client connection),
  // or as the client (proxy::start_client_tls, to an https:// server).
  Tls& start_tls(asio::ssl::context& ctx) {
    tls_ = std::make_unique<Tls>(std::move(tcp_), ctx);
    return *tls_;
  }
  bool is_tls() const { return tls_ != nullptr; }
  Tls* tls() { return tls_.get(); }

  // Ends the connection as each protocol expects: TLS sends its close_notify first (and waits
  // at most `grace` for the peer's), so clients can tell a complete response or tunnel from a
  // truncated one; TCP sends its FIN.
  awaitable<void> shutdown(std::chrono::milliseconds grace) {
    if (tls_) {
      transport().expires_after(grace);
      co_await tls_->async_shutdown(kNoThrow);
    }
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    close();
  }

 private:
  beast::tcp_stream tcp_;  // Moved into tls_ by start_tls(); use transport() afterwards.
  std::unique_ptr<Tls> tls_;
};

}  // namespace wharf::dataplane
