#pragma once

// Short names for the Asio/Beast vocabulary of the controller. The controller runs one
// io_context on one thread: providers, aggregator and publisher never need a lock between them.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace wharf::controller {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
template <typename T>
using awaitable = boost::asio::awaitable<T>;

inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Sleeps without throwing; returns false when the timer was cancelled (shutting down).
inline awaitable<bool> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  auto [ec] = co_await t.async_wait(kNoThrow);
  co_return !ec;
}

// Reconnect delays: 100 ms doubling to 5 s, so a restarted dockerd or data plane is picked up
// quickly without a busy loop while it stays down.
class Backoff {
 public:
  std::chrono::milliseconds next() {
    auto d = delay_;
    delay_ = std::min(delay_ * 2, std::chrono::milliseconds(5000));
    return d;
  }
  void reset() { delay_ = std::chrono::milliseconds(100); }

 private:
  std::chrono::milliseconds delay_{100};
};

}  // namespace wharf::controller
