#pragma once

#include <string>

#include "controller/kubernetes/objects.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes {

inline constexpr const char* kControllerName = "wharf.dev/ingress-controller";

struct IngressOptions {
  std::string ingress_class = "wharf";  // --ingress-class: matched by the legacy annotation
  bool watch_without_class = false;     // also take Ingresses that name no class
};

// Whether the Ingress is ours: `spec.ingressClassName` names an IngressClass whose controller is
// wharf.dev/ingress-controller; or, without it, the legacy `kubernetes.io/ingress.class`
// annotation equals --ingress-class; or it names no class at all and one of our IngressClasses
// is the default class (or --watch-ingress-without-class).
bool is_ours(const Ingress& ing, const Snapshot& snap, const IngressOptions& opt);

// networking.k8s.io/v1 Ingress semantics, exactly:
//  - pathType Exact: the path, case-sensitive; Prefix: element-wise on '/', a trailing '/' on
//    either side ignored ("/aaa" never matches "/aaaccc"); ImplementationSpecific: Prefix.
//  - Precedence: a rule with an exact host beats a one-label wildcard host (`*.foo.com`), which
//    beats a rule without host; within those, the longest path wins and Exact beats Prefix on
//    a tie. Encoded in router priorities: host class × 10^9 + 2 × path length (+1 for Exact).
//  - The Ingress's defaultBackend catches what no rule of any Ingress matches (priority 2).
//  - Backends go to the Service's ready endpoints from its EndpointSlices (not the ClusterIP),
//    on the EndpointSlice port named like the Service port the Ingress chose by number or
//    name; terminating endpoints get no new requests. A Service that does not exist (yet) gives
//    a service without servers: its paths answer 503.
//  - Annotations wharf.ingress.kubernetes.io/router.middlewares, .entrypoints and .priority.
// Each bad path or backend is an error on its own router or service, naming the Ingress and
// the field.
model::ProviderConfig translate(const Snapshot& snap, const IngressOptions& opt);

}  // namespace wharf::controller::kubernetes
