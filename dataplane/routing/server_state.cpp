#include "dataplane/routing/server_state.hpp"

#include "dataplane/routing/state_registry.hpp"

namespace wharf::dataplane::routing {

std::shared_ptr<ServerState> server_state(const std::string& url) {
  static StateRegistry registry;
  return registry.get<ServerState>(url);
}

}  // namespace wharf::dataplane::routing
