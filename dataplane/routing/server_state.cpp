#include "dataplane/routing/server_state.hpp"

#include <map>
#include <mutex>

namespace wharf::dataplane::routing {

std::shared_ptr<ServerState> server_state(const std::string& url) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ServerState>> states;
  std::lock_guard lock(mutex);
  auto& slot = states[url];
  if (auto live = slot.lock()) return live;
  // Tables are built on the control thread, rarely: pruning here keeps the map to the URLs
  // some table still names.
  std::erase_if(states, [&](const auto& kv) { return kv.second.expired() && &kv.second != &slot; });
  auto made = std::make_shared<ServerState>();
  slot = made;
  return made;
}

}  // namespace wharf::dataplane::routing
