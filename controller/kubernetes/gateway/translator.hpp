#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controller/kubernetes/backends.hpp"
#include "controller/kubernetes/objects.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes::gateway {

inline constexpr const char* kControllerName = "wharf.dev/gateway-controller";
inline constexpr const char* kGroup = "gateway.networking.k8s.io";

struct Options {
  bool enabled = false;  // --gateway-api
  // A listener's port → the data plane's entrypoint serving it (--gateway-entrypoint).
  std::map<std::int32_t, std::string> entrypoints = {{80, "web"}, {443, "websecure"}};
};

// What the leader writes back, computed with the translation from the same snapshot. Each
// carries the status as the API has it and as it should be; conditions keep the
// lastTransitionTime read while their status is unchanged, so equal means nothing to write.
struct ClassReport {
  ObjectMeta meta;
  std::vector<Condition> conditions;
  std::vector<std::string> supported_features;
  bool changed = false;
};

struct GatewayReport {
  ObjectMeta meta;
  std::vector<Condition> conditions;
  std::vector<ListenerStatus> listeners;
  std::vector<GatewayAddress> addresses;
  std::vector<std::string> problems;  // Warning Events, log lines, --check (failing it).
  std::vector<std::string> notes;     // Log lines and --check warnings (no address yet).
  bool changed = false;
};

struct RouteReport {
  ObjectMeta meta;
  std::string kind;  // HTTPRoute or GRPCRoute
  // Our entries of status.parents as they should be (the writer keeps other controllers').
  std::vector<RouteParentStatus> parents;
  std::vector<RouteParentStatus> others;  // Other controllers' entries, as read.
  std::vector<std::string> problems;
  bool changed = false;
};

struct Translation {
  model::ProviderConfig config;
  std::vector<ClassReport> classes;
  std::vector<GatewayReport> gateways;
  std::vector<RouteReport> routes;
};

// The features of the GATEWAY-HTTP conformance profile Wharf claims (status.supportedFeatures).
const std::vector<std::string>& supported_features();

// The Gateway API (standard channel v1.x) as Wharf routers, services, middlewares and
// certificates (docs/gateway-api.md):
//  - GatewayClasses whose controllerName is wharf.dev/gateway-controller, and their Gateways;
//    each HTTP or HTTPS listener serves on the entrypoint its port maps to.
//  - HTTPRoutes and GRPCRoutes attached to those listeners by parentRefs and allowedRoutes,
//    on the intersection of hostnames; one router per effective hostname and match, their
//    priorities ordered by the spec's precedence (see matching.hpp).
//  - Filters as middlewares in their order; a filter Wharf cannot apply closes its rule (500),
//    never skipped. backendRefs as one service per rule, weighted; a backend that cannot be
//    resolved keeps its share as 500s. Cross-namespace references need a ReferenceGrant.
// `published` are the addresses written to each Gateway's status. `now` stamps conditions
// that change (RFC 3339).
Translation translate(const Snapshot& snap, const Index& index, const Options& opt,
                      const std::vector<LoadBalancerAddress>& published, const std::string& now);

}  // namespace wharf::controller::kubernetes::gateway
