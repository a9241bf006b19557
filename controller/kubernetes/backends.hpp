#pragma once

#include <map>
#include <string>
#include <vector>

#include "controller/kubernetes/objects.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes {

// What an Ingress backend reaches, and how hosts take precedence, shared by the Ingress
// translators (Wharf's class and the ingress-nginx class).

// "ingress <namespace>/<name>", how messages name an Ingress.
std::string where(const Ingress& ing);

// The provider-local service name for a backend of a Wharf-class Ingress:
// "<namespace>-<service>-<port>".
std::string service_key(const std::string& ns, const IngressBackend& b);

// Services, EndpointSlices and Secrets by "namespace/name" (slices by their Service), built
// once per translation so a thousand Ingresses do not each scan every object.
struct Index {
  std::map<std::string, const Service*> services;
  std::map<std::string, std::vector<const EndpointSlice*>> slices;
  std::map<std::string, const Secret*> secrets;
  explicit Index(const Snapshot& snap);
  const Service* service(const std::string& ns, const std::string& name) const;
  const Secret* secret(const std::string& ns, const std::string& name) const;
};

// Router priorities of both classes: a rule with an exact host beats a wildcard host, which
// beats a rule without host, whatever their paths; within a class, the path decides.
inline constexpr std::int64_t kDefaultBackendPriority = 2;  // Below every rule's.
inline std::int64_t host_precedence(const std::string& host) {
  constexpr std::int64_t kHostExact = 3, kHostWildcard = 2, kHostAny = 1;
  constexpr std::int64_t kHostWeight = 1'000'000'000;
  const std::int64_t host_class = host.empty()             ? kHostAny
                                  : host.starts_with("*.") ? kHostWildcard
                                                           : kHostExact;
  return host_class * kHostWeight;
}

// The backend's servers, named `name`: ready, not terminating endpoints of the Service's
// EndpointSlices, on the slice port that carries the chosen Service port (slices name their
// ports like the Service). The scheme comes from the port's appProtocol, then the Service's
// wharf (or Traefik) `service.serversscheme` annotation. A Service that does not exist (yet)
// gives a service without servers: its paths answer 503. `field` names the backend in
// messages; `scheme_override` (an ingress-nginx backend-protocol) wins over both.
model::ConfigService backend_service(const Index& idx, const std::string& ns,
                                     const IngressBackend& b, const std::string& field,
                                     const std::string& name,
                                     const std::string& scheme_override = {});

}  // namespace wharf::controller::kubernetes
