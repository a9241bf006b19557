#include "controller/kubernetes/gateway/translator.hpp"

#include <algorithm>

#include "controller/kubernetes/gateway/conditions.hpp"
#include "controller/kubernetes/gateway/listeners.hpp"
#include "controller/kubernetes/gateway/route_builder.hpp"

namespace wharf::controller::kubernetes::gateway {

const std::vector<std::string>& supported_features() {
  // Sorted by name, as status.supportedFeatures must be. Core features of GATEWAY-HTTP and
  // GRPCRoute, and the extended ones the data plane carries.
  static const std::vector<std::string> kFeatures = {
      "GRPCRoute",
      "Gateway",
      "HTTPRoute",
      "HTTPRouteBackendTimeout",
      "HTTPRouteHostRewrite",
      "HTTPRouteMethodMatching",
      "HTTPRoutePathRedirect",
      "HTTPRoutePathRewrite",
      "HTTPRoutePortRedirect",
      "HTTPRouteQueryParamMatching",
      "HTTPRouteRequestTimeout",
      "HTTPRouteResponseHeaderModification",
      "HTTPRouteSchemeRedirect",
      "ReferenceGrant",
  };
  return kFeatures;
}

Translation translate(const Snapshot& snap, const Index& index, const Options& opt,
                      const std::vector<LoadBalancerAddress>& published, const std::string& now) {
  Translation t;
  const auto classes = our_classes(snap);
  for (const auto& c : snap.gateway_classes) {
    if (!classes.count(c.meta.name)) continue;
    ClassReport r;
    r.meta = c.meta;
    r.conditions = {condition("Accepted", true, "Accepted", "", c.meta.generation)};
    stamp(r.conditions, c.conditions, now);
    r.supported_features = supported_features();
    r.changed = r.conditions != c.conditions || r.supported_features != c.supported_features;
    t.classes.push_back(std::move(r));
  }
  Certificates certs(index, "gateway.");
  auto gateways = read_gateways(snap, opt, classes, certs);
  std::vector<const HttpRoute*> routes;
  for (const auto& r : snap.http_routes) routes.push_back(&r);
  std::sort(routes.begin(), routes.end(), [](const HttpRoute* a, const HttpRoute* b) {
    return std::tie(a->kind, a->meta.ns, a->meta.name) <
           std::tie(b->kind, b->meta.ns, b->meta.name);
  });
  RouteBuilder builder(snap, index, gateways, t.config);
  for (const HttpRoute* r : routes) {
    auto report = builder.add(*r, now);
    if (!report.parents.empty() || report.changed) t.routes.push_back(std::move(report));
  }
  builder.assign_priorities();
  for (const auto& g : gateways) t.gateways.push_back(gateway_report(g, published, now));
  certs.emit(t.config);
  // What is wrong, also where `--check` and the logs show it: Warning diagnostics per object.
  for (const auto& g : t.gateways) {
    for (const auto& p : g.problems) {
      t.config.diagnostics.push_back({"gateway", g.meta.ns + "/" + g.meta.name, p, false});
    }
    for (const auto& p : g.notes) {
      t.config.diagnostics.push_back({"gateway", g.meta.ns + "/" + g.meta.name, p, true});
    }
  }
  for (const auto& r : t.routes) {
    for (const auto& p : r.problems) {
      t.config.diagnostics.push_back({r.kind == "GRPCRoute" ? "grpcroute" : "httproute",
                                      r.meta.ns + "/" + r.meta.name, p, false});
    }
  }
  return t;
}

}  // namespace wharf::controller::kubernetes::gateway
