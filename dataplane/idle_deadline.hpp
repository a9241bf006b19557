#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

namespace wharf::dataplane {

// The idle timeout of one connection: when `expires_after` passes with no newer call, the
// connection is closed (the operation in flight completes with an error; Stream::timed_out()
// tells it was the timeout).
//
// beast::tcp_stream does the same by starting a timer wait for every read and write and
// cancelling it on completion: four timer-queue operations and allocations per proxied
// request, about 7 % of its instructions. Here a call costs a clock read: one timer stays
// armed, and when it fires early (the deadline moved later meanwhile) it is armed again for
// the current deadline, so a busy keep-alive connection re-arms once per timeout period. Only
// a deadline earlier than the armed one (rare: a short grace after a long idle wait) re-arms
// at once. Expiry is exact either way.
//
// The deadline itself lives here, inside the connection's Stream, which every read and write
// touches anyway; only the timer's state is allocated apart. At 256 keep-alive connections a
// separate cache line per call was a cache miss per request (0.50 µs of 32.9 in `perf`), now
// paid once per timeout period. An IdleDeadline does not move: the timer's state points back
// at it.
class IdleDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  IdleDeadline(const boost::asio::any_io_executor& ex, std::function<void()> on_expiry);
  ~IdleDeadline();
  IdleDeadline(const IdleDeadline&) = delete;
  IdleDeadline& operator=(const IdleDeadline&) = delete;

  void expires_after(Clock::duration d);
  void expires_never();
  bool expired() const;

 private:
  struct State;
  void arm(Clock::time_point at);
  void fired();

  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_ = Clock::time_point::max();  // The timer's expiry; max: not armed.
  bool expired_ = false;
  // Owned here alone and shared with the timer's pending handler only as a weak reference: a
  // handler that runs after the connection is gone finds nothing, and one that finds the
  // state finds this object alive.
  std::shared_ptr<State> state_;
};

}  // namespace wharf::dataplane
