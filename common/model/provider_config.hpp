#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/routing_table.hpp"

namespace wharf::model {

// What one provider (Docker labels, the YAML file, Kubernetes) says, in provider-neutral terms,
// before the compiler qualifies names as `name@provider` and resolves references. Translators
// never drop a bad object silently: they keep it with its `errors`, each a full sentence naming
// where the bad value came from (the label and its value, or the file and line), and the
// compiler turns them into diagnostics.

struct ConfigRouter {
  std::string name;  // As the provider spells it, unqualified.
  std::string rule;
  std::int64_t priority = 0;
  std::vector<std::string> entrypoints;
  std::string service;  // "name" (same provider) or "name@provider".
  bool tls = false;
  std::string cert_resolver;
  // tls.domains: the certificates to ask the resolver for, each main name first then its
  // SANs; empty: one certificate for the hosts of the rule.
  std::vector<std::vector<std::string>> cert_domains;
  std::string tls_options;               // tls.options: "name" (same provider) or "name@provider".
  std::vector<std::string> middlewares;  // Same qualification rule as `service`.
  // Only a TCP router's (tls.passthrough): route on the ClientHello's name and leave TLS to
  // the servers. TCP routers are ConfigRouters so one decoder reads both kinds.
  bool passthrough = false;
  std::string source;  // "container whoami-1", "dynamic.yml:12", ...
  std::vector<std::string> errors;
  bool operator==(const ConfigRouter&) const = default;
};

struct ConfigService {
  std::string name;
  std::vector<Server> servers;  // Empty for a stopped container: its routers answer 503.
  bool pass_host_header = true;
  std::string strategy = "wrr";
  std::optional<StickyCookie> sticky;
  std::optional<HealthCheck> health_check;
  std::string transport;  // A servers transport: "name" (same provider) or "name@provider".
  // The service's own timeouts (an ingress-nginx proxy-*-timeout); they win over the
  // transport's forwardingTimeouts. Unset: the transport's, else the defaults.
  std::optional<ServiceTimeouts> timeouts;
  std::string internal;  // Only the "internal" provider's: Service::internal.
  // Traefik v3.7's service middlewares: applied after the middlewares of every router using
  // the service. Same qualification rule as the router's.
  std::vector<std::string> middlewares;
  std::string source;
  std::vector<std::string> errors;
  bool operator==(const ConfigService&) const = default;
};

// Traefik's tcp.services and udp.services: a loadBalancer of `host:port` servers, or a
// weighted set of other services of the same protocol (flattened by the compiler).
struct ConfigStreamService {
  std::string name;
  std::vector<StreamServer> servers;                            // Empty for a stopped container.
  std::vector<std::pair<std::string, std::uint32_t>> weighted;  // Service name → weight.
  std::uint32_t proxy_protocol = 0;  // loadBalancer.proxyProtocol.version (TCP only).
  std::string transport;             // A TCP servers transport, same rule as `service`.
  std::string source;
  std::vector<std::string> errors;
  bool operator==(const ConfigStreamService&) const = default;
};

// Traefik's udp.routers: an entry point's datagrams, all to one service.
struct ConfigUdpRouter {
  std::string name;
  std::vector<std::string> entrypoints;
  std::string service;
  std::string source;
  std::vector<std::string> errors;
  bool operator==(const ConfigUdpRouter&) const = default;
};

// The file provider's `tcp.serversTransports`: what Wharf takes of them.
struct ConfigTcpTransport {
  std::string name;
  std::uint32_t proxy_protocol = 0;   // proxyProtocol.version
  std::uint32_t dial_timeout_ms = 0;  // 0: unset.
  std::string source;
  std::vector<std::string> errors;
  bool operator==(const ConfigTcpTransport&) const = default;
};

// A servers transport (the file provider's `http.serversTransports`): PEM already read from
// the files named and checked, or carrying why not.
struct ConfigTransport {
  std::string name;
  std::string server_name;
  bool insecure_skip_verify = false;
  std::vector<std::string> root_cas;
  std::string cert_pem, key_pem;
  // forwardingTimeouts; 0: unset. They become the timeouts of the services using it.
  std::uint32_t dial_timeout_ms = 0, response_header_timeout_ms = 0;
  bool disable_http2 = false;
  std::string source;
  std::vector<std::string> errors;
  bool operator==(const ConfigTransport&) const = default;
};

// Middlewares are carried through with Traefik's type name and raw options; the data plane
// implements them in a later step, and until then the compiler refuses routers that use one
// rather than serve them without it (an auth middleware silently skipped would expose the app).
struct ConfigMiddleware {
  std::string name;
  std::string type;                                          // "stripprefix", "basicauth", ...
  std::vector<std::pair<std::string, std::string>> options;  // Lower-cased option path → value.
  std::string source;
  std::vector<std::string> errors;
  bool operator==(const ConfigMiddleware&) const = default;
};

// A certificate a provider delivers (a Kubernetes TLS Secret, later the file provider's
// `tls.certificates`): already checked to parse and to match its key, or carrying why not.
struct ConfigCertificate {
  std::string name;
  std::vector<std::string> domains;
  std::string cert_pem, key_pem;
  bool is_default = false;  // tls.stores.default.defaultCertificate
  std::string source;       // "secret default/web-tls"
  std::vector<std::string> errors;
  bool operator==(const ConfigCertificate&) const = default;
};

// TLS options from the file provider (`tls.options.<name>`), CA files already read.
struct ConfigTlsOptions {
  TlsOptions options;  // Its name unqualified.
  std::string source;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;  // Honoured, but worth knowing (a CBC suite listed).
  bool operator==(const ConfigTlsOptions&) const = default;
};

struct ProviderConfig {
  std::vector<ConfigRouter> routers;
  std::vector<ConfigService> services;
  std::vector<ConfigMiddleware> middlewares;
  std::vector<ConfigCertificate> certificates;
  std::vector<ConfigTransport> transports;
  std::vector<AcmeChallenge> acme_challenges;         // Only the ACME "provider" has them,
  std::vector<CertificateStatus> certificate_status;  // and these (`certificate` unqualified).
  std::vector<ConfigTlsOptions> tls_options;
  std::vector<ConfigRouter> tcp_routers;
  std::vector<ConfigStreamService> tcp_services;
  std::vector<ConfigTcpTransport> tcp_transports;
  std::vector<ConfigUdpRouter> udp_routers;
  std::vector<ConfigStreamService> udp_services;
  // Problems not owned by one router or service (a container whose `enable` label is not a
  // boolean, a file that does not parse); reported as they are.
  std::vector<Diagnostic> diagnostics;
  bool operator==(const ProviderConfig&) const = default;
};

}  // namespace wharf::model
