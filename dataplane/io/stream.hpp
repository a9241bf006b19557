#pragma once

#include <memory>

#include <boost/beast/ssl/ssl_stream.hpp>

#include "dataplane/io/idle_deadline.hpp"
#include "dataplane/io/net.hpp"

namespace wharf::dataplane {

// Client and upstream connections: a TCP socket with an idle deadline (IdleDeadline; every
// idle timeout is one), or, once a client connection has started TLS (detected per connection,
// so one port serves both), TLS over that same socket. Reads and writes go through TLS when it
// is on; the deadline, cancel and close always act on the TCP layer. An operation cut short by
// the deadline completes with an error and timed_out() is true from then on (outcome() turns
// such an error into beast::error::timeout for messages and decisions).
class Stream {
 public:
  using executor_type = tcp::socket::executor_type;
  using Tls = beast::ssl_stream<tcp::socket>;

  explicit Stream(tcp::socket socket)
      : tcp_(std::move(socket)), deadline_(tcp_.get_executor(), [this] { close(); }) {}
  explicit Stream(const executor_type& ex) : tcp_(ex), deadline_(ex, [this] { close(); }) {}
  // The deadline closes `this`: the object stays where it was made.
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  executor_type get_executor() noexcept { return socket().get_executor(); }
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : tcp_; }
  void expires_after(std::chrono::steady_clock::duration d) { deadline_.expires_after(d); }
  void expires_never() { deadline_.expires_never(); }
  bool timed_out() const { return deadline_.expired(); }
  error_code outcome(error_code ec) const {
    return ec && timed_out() ? error_code(beast::error::timeout) : ec;
  }
  void cancel() {
    error_code ignored;
    socket().cancel(ignored);
  }
  void close() {
    error_code ignored;
    socket().close(ignored);
  }
  template <typename Token>
  auto async_connect(const tcp::endpoint& ep, Token&& token) {
    return tcp_.async_connect(ep, std::forward<Token>(token));
  }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return start_io(buffers, token, [](auto& layer, const Buffers& b, auto handler) {
      layer.async_read_some(b, std::move(handler));
    });
  }
  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return start_io(buffers, token, [](auto& layer, const Buffers& b, auto handler) {
      layer.async_write_some(b, std::move(handler));
    });
  }

  // Switches to TLS: the TCP socket moves under an SSL stream made from `ctx`. The handshake is
  // then run by the caller: as the server with the bytes already read (a client connection),
  // or as the client (proxy::start_client_tls, to an https:// server).
  Tls& start_tls(asio::ssl::context& ctx) {
    tls_ = std::make_unique<Tls>(std::move(tcp_), ctx);
    return *tls_;
  }
  bool is_tls() const { return tls_ != nullptr; }
  Tls* tls() { return tls_.get(); }

  // Writes what the socket takes at once, without waiting: the bytes written, 0 when it takes
  // nothing now or under TLS (only the TLS stream may write its records). Other failures come
  // back in `ec`. See proxy::write_now for why. No other write may be in flight.
  std::size_t write_now(const asio::const_buffer* buffers, std::size_t count, error_code& ec);

  // Ends the connection as each protocol expects: TLS sends its close_notify first (and waits
  // at most `grace` for the peer's), so clients can tell a complete response or tunnel from a
  // truncated one; TCP sends its FIN. With `linger`, the peer may still be sending (a body that
  // was not read): the FIN goes first and what arrives is read away (discard_input). Without,
  // close() alone sends the FIN after whatever is still queued, as a shutdown would: one system
  // call a connection fewer.
  awaitable<void> shutdown(std::chrono::milliseconds grace, bool linger = false) {
    if (tls_) {
      expires_after(grace);
      co_await tls_->async_shutdown(kNoThrowAwaitable);
    }
    if (linger) {
      error_code ignored;
      socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_await discard_input();
    }
    close();
  }

 private:
  awaitable<void> discard_input();

  // One initiation picks the layer when the operation starts, so any completion token works
  // (deferred included: Beast's TLS stream takes only handlers and use_awaitable).
  template <typename Buffers, typename Token, typename Op>
  auto start_io(const Buffers& buffers, Token& token, Op op) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this, op](auto handler, const Buffers& b) {
          if (tls_) {
            op(*tls_, b, std::move(handler));
          } else {
            op(tcp_, b, std::move(handler));
          }
        },
        token, buffers);
  }

  tcp::socket tcp_;  // Moved into tls_ by start_tls(); use socket() afterwards.
  std::unique_ptr<Tls> tls_;
  IdleDeadline deadline_;
};

}  // namespace wharf::dataplane
