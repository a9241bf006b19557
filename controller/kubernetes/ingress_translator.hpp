#pragma once

#include <string>

#include "controller/kubernetes/backends.hpp"
#include "controller/kubernetes/nginx/translator.hpp"
#include "controller/kubernetes/objects.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes {

inline constexpr const char* kControllerName = "wharf.dev/ingress-controller";

struct IngressOptions {
  std::string ingress_class = "wharf";  // --ingress-class: matched by the legacy annotation
  bool watch_without_class = false;     // also take Ingresses that name no class
  nginx::Options nginx;                 // The ingress-nginx class, when asked for.
};

// Whether the Ingress is ours: `spec.ingressClassName` names an IngressClass whose controller is
// wharf.dev/ingress-controller; or, without it, the legacy `kubernetes.io/ingress.class`
// annotation equals --ingress-class; or it names no class at all and one of our IngressClasses
// is the default class (or --watch-ingress-without-class).
bool is_ours(const Ingress& ing, const Snapshot& snap, const IngressOptions& opt);

// What translation found for one Ingress, for the status writer (status.loadBalancer on ours,
// cleared on others) and for Warning Events (its problems).
struct IngressReport {
  ObjectMeta meta;
  bool ours = false;
  std::vector<LoadBalancerAddress> status;  // As the API server has it now.
  std::vector<std::string> problems;        // Each a full sentence naming the field.
  // Whether its status.loadBalancer is ours to write: not for the ingress-nginx class unless
  // --ingress-nginx-status (while ingress-nginx runs beside Wharf, its addresses stay).
  bool write_status = true;
};

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
//  - TLS sections: one certificate per same-namespace `kubernetes.io/tls` Secret, for the hosts
//    of every section naming it (the certificate's own names when a section lists none). A
//    missing or broken Secret is an error on that certificate alone: its hosts get the default
//    certificate and the routes stay.
// Each bad path or backend is an error on its own router or service, naming the Ingress and
// the field. `reports`, when given, receives one entry per Ingress in the snapshot.
model::ProviderConfig translate(const Snapshot& snap, const IngressOptions& opt,
                                std::vector<IngressReport>* reports = nullptr);
// The same with the snapshot's Index made by the caller (the provider shares it with the
// Gateway API translation).
model::ProviderConfig translate(const Snapshot& snap, const Index& index, const IngressOptions& opt,
                                std::vector<IngressReport>* reports);

}  // namespace wharf::controller::kubernetes
