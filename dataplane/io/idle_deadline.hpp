#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

namespace wharf::dataplane {

// The idle timeout of one connection: when `expires_after` passes with no newer call, the
// connection is closed (the operation in flight completes with an error; Stream::timed_out()
// tells it was the timeout). Expiry is never early. A call costs a clock read, not a timer
// operation (see the .cpp). An IdleDeadline does not move: the timer's state points back at
// it.
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
