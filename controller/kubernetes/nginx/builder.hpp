#pragma once

// The ingress-nginx class's translator, shared by the files that hold its parts:
// translator.cpp (routes, canaries, routers), middlewares.cpp (annotations that become
// middlewares) and services.cpp (services, their servers, timeouts and TLS). Not a public
// interface: translator.hpp is.

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "controller/kubernetes/backends.hpp"
#include "controller/kubernetes/nginx/annotations.hpp"
#include "controller/kubernetes/nginx/settings.hpp"
#include "controller/kubernetes/nginx/translator.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes::nginx {

// "<namespace>.<ingress>.<what>": the names of what one Ingress makes.
inline std::string dotted(const Ingress& ing, const std::string& what) {
  return ing.meta.ns + "." + ing.meta.name + "." + what;
}

inline std::string port_of(const IngressBackend& b) {
  return b.port_name.empty() ? std::to_string(b.port_number) : b.port_name;
}

// A middleware's options as the routing table carries them.
struct MiddlewareOptions : std::vector<std::pair<std::string, std::string>> {
  void set(std::string key, std::string value) { emplace_back(std::move(key), std::move(value)); }
};

struct Route {
  std::string host;  // As in the rule; empty: every host.
  const IngressPath* path = nullptr;
  std::string field;
};

// A canary Ingress's path, waiting for the main Ingress of the same host and path.
struct CanaryPath {
  const Ingress* ing;
  const Annotations* ann;
  const IngressBackend* backend;
  std::string field;
  bool used = false;
};

class Builder {
 public:
  Builder(const Settings& settings, const Index& index, model::ProviderConfig& out)
      : settings_(settings), index_(index), out_(out) {}

  std::vector<IngressFindings> run(const std::vector<const Ingress*>& ingresses);

 private:
  using Kind = Finding::Kind;

  struct Middlewares {
    std::vector<std::string> before;       // redirects, CORS, limits, access, auth, body size
    std::vector<std::string> after;        // upstream headers, error pages
    MiddlewareOptions ssl_redirect, hsts;  // Empty: none.
    bool force_ssl = false;
    const ExternalAuth* external_auth = nullptr;  // auth-url, else global-auth-url
    std::string body_size;                        // Last before the server.
  };

  // Client certificates of a host (auth-tls-*): the TLS options its TLS routers name, whether a
  // plain-HTTP request must be refused, or why the host cannot be served safely.
  struct HostAuth {
    std::string options;
    bool required = false;  // auth-tls-verify-client: on
    std::string problem;    // Not empty: every route of the host answers 503.
    std::string owner;      // "ingress ns/name", for messages.
  };

  // Routes and routers (translator.cpp).
  // Hosts whose paths are all regexes, hosts with a TLS section, and the canaries by route.
  void prepare(const std::vector<const Ingress*>& ingresses, const std::vector<Annotations>& anns);
  static std::string path_of(const IngressPath& p) { return p.path.empty() ? "/" : p.path; }
  static bool needs_rewrite(const Annotations& a, const IngressPath& p);
  static std::string field(const Ingress& ing, std::size_t i, std::size_t j);
  void problem(const std::string& annotation, Kind kind, const std::string& message);
  bool closed() const { return std::any_of(findings_.begin(), findings_.end(), closes_routes); }
  // A canary's own annotations other than the canary, affinity and load-balance ones are the
  // main Ingress's business, as ingress-nginx ignores them there.
  void canary_findings(const Annotations& a);
  void report(IngressFindings& f);
  void add(const Ingress& ing, const Annotations& a);
  std::string host_rule(const std::string& host, const Annotations& a);
  void route(const Ingress& ing, const Annotations& a, const Middlewares& m, const Route& r,
             const std::string& suffix);
  std::string rewrite(const Ingress& ing, const Annotations& a, const std::string& path,
                      const std::string& suffix);
  void canary(const Ingress& ing, const Annotations& a, const Middlewares& m,
              const std::vector<std::string>& after, const Route& r, const std::string& suffix,
              const std::string& base, std::int64_t priority, std::string& main_service,
              CanaryPath& c);
  void emit(const Ingress& ing, const Annotations& a, const Middlewares& m, const Route& r,
            const std::string& suffix, const std::string& rule, std::int64_t priority,
            const std::string& service, std::vector<std::string> after = {});
  void www_redirect(const Ingress& ing, const std::string& host, const std::string& suffix);
  // The ssl redirect comes after permanent/temporal-redirect and app-root (nginx's `return`
  // runs in the rewrite phase before the Lua redirect).
  static std::ptrdiff_t redirects(const Annotations& a);
  // A service without servers (503) for the routes of an Ingress that cannot be served safely.
  std::string closed_service(const Ingress& ing);
  std::string serverless(const Ingress& ing, const std::string& what, const std::string& why);

  // Annotations that become middlewares (middlewares.cpp).
  Middlewares middlewares(const Ingress& ing, const Annotations& a);
  static bool global_auth_off(const Ingress& ing);
  std::string middleware(const Ingress& ing, const std::string& what, const std::string& type,
                         const MiddlewareOptions& options);
  void redirect(const Ingress& ing, const Redirect& r, Middlewares& m);
  void cors(const Ingress& ing, const Cors& c, Middlewares& m);
  // In ingress-nginx's order: connections, then requests per minute, then per second.
  void limits(const Ingress& ing, const Annotations& a, Middlewares& m);
  void basic_auth(const Ingress& ing, const BasicAuth& b, Middlewares& m);
  // The forwardauth middleware for the route `suffix` of `host` (auth-url may name $host).
  std::string external_auth(const Ingress& ing, const ExternalAuth& e, const std::string& host,
                            const std::string& suffix);
  void errors(const Ingress& ing, const Annotations& a, Middlewares& m);

  // The TLS options of an Ingress's auth-tls-secret, for its hosts (middlewares.cpp).
  void client_auth(const Ingress& ing, const ClientAuth& c);

  // Services, their servers, timeouts and TLS (services.cpp).
  // The default-backend annotation's Service, on its first port (ingress-nginx's choice).
  std::string default_backend(const Ingress& ing, const Annotations& a);
  std::string scheme(const Annotations& a) const;
  std::string service(const Ingress& ing, const Annotations& a, const IngressBackend& b,
                      const std::string& field);
  // Timeouts, stickiness, balancing and TLS to the servers.
  void shape(const Ingress& ing, const Annotations& a, model::ConfigService& s);
  // TLS to the servers as nginx does it: not verified unless proxy-ssl-verify is on.
  std::string transport(const Ingress& ing, const Annotations& a);
  // One service whose servers are both services' servers, weighted so that `weight` of every
  // `total` requests reach the canary (smooth weighted round robin makes that exact).
  std::string weighted(const std::string& main, const std::string& canary, std::uint64_t weight,
                       std::uint64_t total);

  const Settings& settings_;
  const Index& index_;
  model::ProviderConfig& out_;
  std::set<std::string> hosts_, regex_hosts_, tls_hosts_;
  std::map<std::string, HostAuth> host_auth_;
  std::map<std::string, CanaryPath> canaries_;
  std::map<std::string, std::size_t> made_;  // Service name → index in out_.services.
  std::set<std::string> middleware_names_;
  std::vector<Finding> findings_;  // The current Ingress's.
};

}  // namespace wharf::controller::kubernetes::nginx
