#include "dataplane/idle_deadline.hpp"

#include <boost/asio/steady_timer.hpp>

namespace wharf::dataplane {

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
