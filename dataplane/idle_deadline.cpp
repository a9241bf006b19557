#include "dataplane/idle_deadline.hpp"

#include <boost/asio/steady_timer.hpp>

namespace wharf::dataplane {

struct IdleDeadline::State {
  State(const boost::asio::any_io_executor& ex, std::function<void()> f)
      : timer(ex), on_expiry(std::move(f)) {}
  boost::asio::steady_timer timer;
  std::function<void()> on_expiry;
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point armed = Clock::time_point::max();  // The timer's expiry; max: not armed.
  std::uint64_t generation = 0;  // Tells a stale completion (fired just before a re-arm).
  bool expired = false;
};

IdleDeadline::IdleDeadline(const boost::asio::any_io_executor& ex, std::function<void()> on_expiry)
    : state_(std::make_shared<State>(ex, std::move(on_expiry))) {}

IdleDeadline::~IdleDeadline() = default;

void IdleDeadline::arm(const std::shared_ptr<State>& s, Clock::time_point at) {
  s->armed = at;
  const auto generation = ++s->generation;
  s->timer.expires_at(at);  // Cancels the wait in flight, if any: it returns on the error.
  s->timer.async_wait(
      [weak = std::weak_ptr<State>(s), generation](const boost::system::error_code& ec) {
        if (ec) return;
        auto s = weak.lock();
        if (s && s->generation == generation) fired(s);
      });
}

void IdleDeadline::fired(const std::shared_ptr<State>& s) {
  s->armed = Clock::time_point::max();
  if (s->deadline == Clock::time_point::max()) return;
  if (Clock::now() < s->deadline) return arm(s, s->deadline);  // Moved later meanwhile.
  s->expired = true;
  s->on_expiry();
}

void IdleDeadline::expires_after(Clock::duration d) {
  const auto at = Clock::now() + d;
  state_->deadline = at;
  if (at < state_->armed) arm(state_, at);
}

void IdleDeadline::expires_never() {
  // The armed timer, if any, fires once more and finds nothing to do.
  state_->deadline = Clock::time_point::max();
}

bool IdleDeadline::expired() const {
  return state_->expired;
}

}  // namespace wharf::dataplane
