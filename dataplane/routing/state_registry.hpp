#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace wharf::dataplane {

// State that must outlive one routing table: rate-limit buckets, in-flight counts, verified
// credentials (keyed by a middleware's name and options) and server load and health (keyed
// by URL). A new table asking for the same key gets the same state, so an apply neither
// resets a limit nor forgets that a server is down. The registry holds weak references: the
// state lives as long as some table uses it. Tables are built on the control thread; the lock
// covers workers dropping the last reference to an old table meanwhile.
class StateRegistry {
 public:
  template <typename T, typename... Args>
  std::shared_ptr<T> get(const std::string& key, Args&&... args) {
    std::lock_guard lock(mutex_);
    auto& slot = states_[key];
    if (auto live = std::static_pointer_cast<T>(slot.lock())) return live;
    auto made = std::make_shared<T>(std::forward<Args>(args)...);
    slot = made;
    // Entries no table uses any more are dropped once the map has doubled since the last
    // sweep: amortized constant per state, and the map stays within twice what tables name.
    if (states_.size() >= sweep_at_) {
      std::erase_if(states_, [](const auto& kv) { return kv.second.expired(); });
      sweep_at_ = std::max<std::size_t>(64, 2 * states_.size());
    }
    return made;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<void>> states_;
  std::size_t sweep_at_ = 64;
};

}  // namespace wharf::dataplane
