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
  for (auto it = states.begin(); it != states.end();) {
    it = it->second.expired() && &it->second != &slot ? states.erase(it) : std::next(it);
  }
  auto made = std::make_shared<ServerState>();
  slot = made;
  return made;
}

}  // namespace wharf::dataplane::routing
