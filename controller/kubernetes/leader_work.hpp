#pragma once

#include <chrono>

#include "controller/net.hpp"

namespace wharf::controller::kubernetes {

// The loop of the status writers (Ingress, Gateway API): work is due after every wake(), done
// by the leader only, at once when this replica becomes leader, and again after a pause (100 ms
// doubling to 5 s) when it failed, even if nothing changed meanwhile.
class LeaderWork {
 public:
  explicit LeaderWork(asio::any_io_executor ex)
      : wake_(ex, std::chrono::steady_clock::time_point::max()) {}

  void wake() {
    dirty_ = true;
    wake_.cancel();
  }
  void set_leader(bool leader) {
    leader_ = leader;
    if (leader) wake();  // A new term: whatever the previous leader missed is due again.
  }
  bool leader() const { return leader_; }

  // Runs `sync` (returning awaitable<bool>, true when everything went through) until the
  // executor stops.
  template <typename Sync>
  awaitable<void> run(Sync sync) {
    Backoff backoff;
    for (;;) {
      if (!dirty_) {
        wake_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await wake_.async_wait(kNoThrow);
        continue;
      }
      dirty_ = false;
      if (!leader_) continue;
      if (co_await sync()) {
        backoff.reset();
      } else {
        dirty_ = true;
        if (!co_await sleep_for(backoff.next())) co_return;
      }
    }
  }

 private:
  bool leader_ = false;
  bool dirty_ = false;
  asio::steady_timer wake_;
};

}  // namespace wharf::controller::kubernetes
