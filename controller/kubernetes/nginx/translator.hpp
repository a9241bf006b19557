#pragma once

#include <string>
#include <vector>

#include "controller/kubernetes/backends.hpp"
#include "controller/kubernetes/nginx/annotations.hpp"
#include "controller/kubernetes/nginx/settings.hpp"
#include "controller/kubernetes/objects.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes::nginx {

inline constexpr const char* kControllerName = "k8s.io/ingress-nginx";

// The ingress-nginx mode of the Kubernetes provider (off unless asked for).
struct Options {
  bool enabled = false;                 // --ingress-nginx
  std::string ingress_class = "nginx";  // --ingress-nginx-class
  bool without_class = false;           // --ingress-nginx-without-class
  std::string configmap;                // --ingress-nginx-configmap: "namespace/name"
  bool write_status = false;            // --ingress-nginx-status
};

// Whether an Ingress that is not of Wharf's own class belongs to the nginx class: its
// `spec.ingressClassName` names an IngressClass whose controller is k8s.io/ingress-nginx, or is
// the --ingress-nginx-class name (also when that IngressClass was deleted with ingress-nginx);
// or, without it, the legacy `kubernetes.io/ingress.class` annotation names that class; or it
// names no class at all and either --ingress-nginx-without-class is set or an ingress-nginx
// IngressClass is the default.
bool is_nginx(const Ingress& ing, const Snapshot& snap, const Options& opt);

// The ConfigMap --ingress-nginx-configmap names, if it is in the snapshot.
const ConfigMap* settings_map(const Snapshot& snap, const Options& opt);

// What translation found about one Ingress's annotations, each once.
struct IngressFindings {
  const Ingress* ingress = nullptr;
  std::size_t first_router = 0, end_router = 0;  // Its routers in `out` (its canaries' too).
  std::vector<Finding> findings;
};

// Translates the nginx-class Ingresses (sorted by namespace and name) into `out`, each
// annotation with ingress-nginx's documented meaning (docs/migrating.md has the table):
//  - Paths: Exact is exact; Prefix and ImplementationSpecific match element-wise, a path ending
//    in '/' as a string prefix (ingress-nginx's two locations); when any Ingress of a host uses
//    a regex (use-regex, or a rewrite-target other than the path), every path of that host is
//    a case-insensitive regex anchored at its start. Longest path first, as nginx orders them.
//  - Annotations become middlewares named "<ns>.<ingress>.<what>", services
//    "<ns>.<ingress>.<service>.<port>" (a Kubernetes name has no '.' in a namespace or Service
//    name, so these never collide with the Wharf class's "<ns>-..." names).
//  - An annotation that cannot be taken (a bad value, a missing Secret) or that guards the
//    routes and has no equivalent (digest auth, client certificates) closes that Ingress's
//    routes: they stay, answering 503, so no shorter route of another Ingress serves them open.
//  - Canary Ingresses join the main Ingress of the same host and path: by header, by cookie,
//    then by weight.
std::vector<IngressFindings> translate(const std::vector<const Ingress*>& ingresses,
                                       const Settings& settings, const Index& index,
                                       model::ProviderConfig& out);

}  // namespace wharf::controller::kubernetes::nginx
