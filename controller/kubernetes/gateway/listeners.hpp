#pragma once

#include <set>
#include <string>
#include <vector>

#include "controller/kubernetes/gateway/translator.hpp"
#include "controller/kubernetes/tls_secrets.hpp"

namespace wharf::controller::kubernetes::gateway {

// A listener of one of our Gateways as translation sees it: where it serves, which route
// kinds it takes, whether routes attach to it, and its status conditions so far.
struct ListenerView {
  const Gateway* gateway = nullptr;
  std::size_t index = 0;  // In gateway->listeners.
  const Listener* spec = nullptr;
  std::string entrypoint;
  bool tls = false;  // HTTPS: its routers serve TLS connections.
  std::vector<std::pair<std::string, std::string>> kinds;  // (group, kind) it supports
  bool ready = false;  // Accepted, not conflicted, its certificates resolved: routes attach.
  std::int32_t attached = 0;
  std::vector<Condition> conditions;
};

struct GatewayView {
  const Gateway* gateway = nullptr;
  std::vector<ListenerView> listeners;
  std::vector<std::string> problems;  // "gateway ns/name spec.listeners[1]: ..."
};

// "gateway <namespace>/<name>", how messages name a Gateway.
std::string where(const Gateway& gw);

// The GatewayClasses whose controllerName is Wharf's.
std::set<std::string> our_classes(const Snapshot& snap);

// Our Gateways (their class is ours), their listeners checked: protocol HTTP or HTTPS, a port
// an entrypoint serves, route kinds, certificateRefs (added to `certs`), conflicts between
// listeners on one port. Sorted by namespace/name.
std::vector<GatewayView> read_gateways(const Snapshot& snap, const Options& opt,
                                       const std::set<std::string>& classes, Certificates& certs);

// The Gateway's report once routes are attached: Accepted and Programmed, each listener's
// status with its attached route count, the addresses.
GatewayReport gateway_report(const GatewayView& view,
                             const std::vector<LoadBalancerAddress>& published,
                             const std::string& now);

}  // namespace wharf::controller::kubernetes::gateway
