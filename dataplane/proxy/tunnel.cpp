#include "dataplane/proxy/tunnel.hpp"
#include "dataplane/io/stream.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <memory>

namespace wharf::dataplane::proxy {
namespace {

using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

// How long a TLS client may keep its side of a tunnel open after the upstream closed its own.
constexpr std::chrono::milliseconds kTlsHalfCloseGrace{5000};

// One direction. On EOF the write side of the other socket is shut down, so a half-close
// reaches the far end (RFC 9112 section 9.6) while the other direction keeps flowing.
awaitable<void> pump(Stream& from, Stream& to, Clock::time_point& last_activity,
                     bool& half_closed) {
  std::unique_ptr<char[]> buf(new char[16 * 1024]);
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(asio::buffer(buf.get(), 16 * 1024), kNoThrow);
    if (rec) {
      error_code ignored;
      if (rec == asio::error::eof) {
        // TLS has no half-close: a FIN without close_notify reads as truncation to the client.
        // Its side ends when both directions are done (see run_tunnel); the watchdog gives
        // the client a short grace to finish first.
        if (to.is_tls()) {
          half_closed = true;
        } else {
          to.socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
      } else {
        // A reset or abort on one side ends the tunnel for both.
        to.close();
        from.close();
      }
      co_return;
    }
    last_activity = Clock::now();
    auto [wec, _] = co_await asio::async_write(to, asio::buffer(buf.get(), n), kNoThrow);
    if (wec) {
      to.close();
      from.close();
      co_return;
    }
    last_activity = Clock::now();
  }
}

awaitable<void> watchdog(Stream& a, Stream& b, Clock::time_point& last_activity,
                         std::chrono::milliseconds idle, const bool& half_closed) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    auto limit = half_closed ? std::min(idle, kTlsHalfCloseGrace) : idle;
    timer.expires_at(last_activity + limit);
    auto [ec] = co_await timer.async_wait(kNoThrow);
    if (ec) co_return;  // Cancelled: the tunnel ended on its own.
    limit = half_closed ? std::min(idle, kTlsHalfCloseGrace) : idle;
    if (Clock::now() - last_activity >= limit) {
      a.close();
      b.close();
      co_return;
    }
  }
}

awaitable<void> flush(beast::flat_buffer& extra, Stream& to) {
  if (extra.size() == 0) co_return;
  co_await asio::async_write(to, extra.data(), kNoThrow);
  extra.consume(extra.size());
}

}  // namespace

awaitable<void> run_tunnel(Stream& client, beast::flat_buffer& client_extra, Stream& upstream,
                           beast::flat_buffer& upstream_extra, std::chrono::milliseconds idle) {
  co_await flush(client_extra, upstream);
  co_await flush(upstream_extra, client);
  Clock::time_point last_activity = Clock::now();
  bool half_closed = false;
  co_await ((pump(client, upstream, last_activity, half_closed) &&
             pump(upstream, client, last_activity, half_closed)) ||
            watchdog(client, upstream, last_activity, idle, half_closed));
  if (client.is_tls()) co_await client.shutdown(std::chrono::milliseconds(1000));
}

}  // namespace wharf::dataplane::proxy
