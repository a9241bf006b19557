#include "dataplane/io/idle_deadline.hpp"

#include <boost/asio/steady_timer.hpp>

namespace wharf::dataplane {

// beast::tcp_stream does the same by starting a timer wait for every read and write and
// cancelling it on completion: four timer-queue operations and allocations per proxied
// request, about 7 % of its instructions. Here one timer stays armed, and when it fires early
// (the deadline moved later meanwhile) it is armed again for the current deadline, so a busy
// keep-alive connection re-arms once per timeout period. Only a deadline earlier than the
// armed one (rare: a short grace after a long idle wait) re-arms at once. Expiry is exact
// either way.
//
// The deadline itself lives in the IdleDeadline, inside the connection's Stream, which every
// read and write touches anyway; only the timer's state is allocated apart. At 256 keep-alive
// connections a separate cache line per call was a cache miss per request (0.50 µs of 32.9 in
// `perf`, docs/performance.md), now paid once per timeout period.
struct IdleDeadline::State {
  State(const boost::asio::any_io_executor& ex, std::function<void()> f, IdleDeadline* o)
      : timer(ex), on_expiry(std::move(f)), owner(o) {}
  boost::asio::steady_timer timer;
  std::function<void()> on_expiry;
  IdleDeadline* owner;
  std::uint64_t generation = 0;  // Tells a stale completion (fired just before a re-arm).
};

IdleDeadline::IdleDeadline(const boost::asio::any_io_executor& ex, std::function<void()> on_expiry)
    : state_(std::make_shared<State>(ex, std::move(on_expiry), this)) {}

IdleDeadline::~IdleDeadline() = default;

void IdleDeadline::arm(Clock::time_point at) {
  armed_ = at;
  const auto generation = ++state_->generation;
  state_->timer.expires_at(at);  // Cancels the wait in flight, if any: it returns on the error.
  state_->timer.async_wait(
      [weak = std::weak_ptr<State>(state_), generation](const boost::system::error_code& ec) {
        if (ec) return;
        auto s = weak.lock();
        if (s && s->generation == generation) s->owner->fired();
      });
}

void IdleDeadline::fired() {
  armed_ = Clock::time_point::max();
  if (deadline_ == Clock::time_point::max()) return;
  if (Clock::now() < deadline_) return arm(deadline_);  // Moved later meanwhile.
  expired_ = true;
  state_->on_expiry();
}

void IdleDeadline::expires_after(Clock::duration d) {
  const auto at = Clock::now() + d;
  deadline_ = at;
  if (at < armed_) arm(at);
}

void IdleDeadline::expires_never() {
  // The armed timer, if any, fires once more and finds nothing to do.
  deadline_ = Clock::time_point::max();
}

bool IdleDeadline::expired() const {
  return expired_;
}

}  // namespace wharf::dataplane
