#include "dataplane/proxy/tunnel.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <memory>

namespace wharf::dataplane::proxy {
namespace {

using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

// One direction. On EOF the write side of the other socket is shut down, so a half-close
// reaches the far end (RFC 9112 section 9.6) while the other direction keeps flowing.
awaitable<void> pump(tcp::socket& from, tcp::socket& to, Clock::time_point& last_activity) {
  std::unique_ptr<char[]> buf(new char[16 * 1024]);
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(asio::buffer(buf.get(), 16 * 1024), kNoThrow);
    if (rec) {
      error_code ignored;
      if (rec == asio::error::eof) {
        to.shutdown(tcp::socket::shutdown_send, ignored);
      } else {
        // A reset or abort on one side ends the tunnel for both.
        to.close(ignored);
        from.close(ignored);
      }
      co_return;
    }
    last_activity = Clock::now();
    auto [wec, _] = co_await asio::async_write(to, asio::buffer(buf.get(), n), kNoThrow);
    if (wec) {
      error_code ignored;
      to.close(ignored);
      from.close(ignored);
      co_return;
    }
    last_activity = Clock::now();
  }
}

awaitable<void> watchdog(tcp::socket& a, tcp::socket& b, Clock::time_point& last_activity,
                         std::chrono::milliseconds idle) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_at(last_activity + idle);
    auto [ec] = co_await timer.async_wait(kNoThrow);
    if (ec) co_return;  // Cancelled: the tunnel ended on its own.
    if (Clock::now() - last_activity >= idle) {
      error_code ignored;
      a.close(ignored);
      b.close(ignored);
      co_return;
    }
  }
}

awaitable<void> flush(beast::flat_buffer& extra, tcp::socket& to) {
  if (extra.size() == 0) co_return;
  co_await asio::async_write(to, extra.data(), kNoThrow);
  extra.consume(extra.size());
}

}  // namespace

awaitable<void> run_tunnel(tcp::socket& client, beast::flat_buffer& client_extra,
                           tcp::socket& upstream, beast::flat_buffer& upstream_extra,
                           std::chrono::milliseconds idle) {
  co_await flush(client_extra, upstream);
  co_await flush(upstream_extra, client);
  Clock::time_point last_activity = Clock::now();
  co_await ((pump(client, upstream, last_activity) && pump(upstream, client, last_activity)) ||
            watchdog(client, upstream, last_activity, idle));
}

}  // namespace wharf::dataplane::proxy
