#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/result.hpp"

namespace wharf::model {

// The routing table is the whole contract between the controller and the data plane: pure
// values, compared and serialized as a unit. Its JSON form is described in
// docs/routing-table.md; defaults below are the ones a field takes when the JSON omits it.

// Idle timeouts, in milliseconds: each fires only when no byte has moved for that long, so a
// 50 GB upload that keeps moving is never cut off.
struct EntryPointTimeouts {
  std::uint32_t read_header_ms = 60'000;  // Waiting for a complete request head.
  std::uint32_t idle_ms = 180'000;        // Keep-alive connection with no request.
  std::uint32_t body_idle_ms = 60'000;    // Client request body stalled.
  bool operator==(const EntryPointTimeouts&) const = default;
};

// Traefik's entrypoint redirection (`entryPoints.web.http.redirections.entryPoint`): every
// plain-HTTP request on the entrypoint is redirected before routing, keeping host, path and
// query. `to` names the target entrypoint (its port is the data plane's listening port) or is
// ":PORT". Empty `to`: no redirection.
struct EntryPointRedirect {
  std::string to;
  std::string scheme = "https";
  bool permanent = true;  // 301 (308 for methods other than GET/HEAD); else 302/307.
  bool operator==(const EntryPointRedirect&) const = default;
};

struct EntryPoint {
  std::string name;
  EntryPointTimeouts timeouts;
  EntryPointRedirect redirect;
  bool operator==(const EntryPoint&) const = default;
};

struct Router {
  std::string name;                      // Qualified, e.g. "whoami@docker".
  std::string rule;                      // Traefik v3 rule language, see docs/rules.md.
  std::int64_t priority = 0;             // 0 means "the length of the rule".
  std::vector<std::string> entrypoints;  // Empty means every entrypoint.
  std::string service;
  bool tls = false;
  std::vector<std::string> middlewares;  // Qualified names, applied in order; chains expand.
  std::string tls_options;               // A TlsOptions name; empty: the default options.
  bool operator==(const Router&) const = default;

  std::int64_t effective_priority() const {
    return priority != 0 ? priority : static_cast<std::int64_t>(rule.size());
  }
};

struct Server {
  // "http://host:port", "https://host:port" or "h2c://host:port" (HTTP/2 in clear text with
  // prior knowledge, as gRPC servers speak); the path part is not used.
  std::string url;
  std::uint32_t weight = 1;
  // Not a server: a backend its provider could not resolve (a Gateway API backendRef to a
  // missing Service, or one no ReferenceGrant permits). Its share of the requests is answered
  // 500 by the data plane, as the Gateway API requires; `url` is empty.
  bool unresolved = false;
  bool operator==(const Server&) const = default;
};

struct ServiceTimeouts {
  std::uint32_t connect_ms = 30'000;
  std::uint32_t response_header_ms = 60'000;  // Request sent, no response head yet.
  std::uint32_t body_idle_ms = 60'000;        // Response body stalled.
  std::uint32_t tunnel_idle_ms = 3'600'000;   // Upgraded connection with no bytes either way.
  bool operator==(const ServiceTimeouts&) const = default;
};

// Traefik's sticky sessions: the first response names its server in a cookie; later requests
// carrying it go to the same server while it is up.
struct StickyCookie {
  std::string name;  // Empty: derived from the service name.
  bool secure = false;
  bool http_only = false;
  std::string same_site;     // "", "none", "lax" or "strict".
  std::int64_t max_age = 0;  // Seconds; 0: a session cookie.
  std::string path = "/";
  bool operator==(const StickyCookie&) const = default;
};

// Traefik's active health check: every `interval_ms` each server is asked for `path`; a server
// that does not answer within `timeout_ms`, or answers another status than `status` (any 2xx
// or 3xx when 0), takes no new requests until a check passes again.
struct HealthCheck {
  std::string path;
  std::string method = "GET";
  std::uint32_t interval_ms = 30'000;
  std::uint32_t timeout_ms = 5'000;
  std::string hostname;    // Host header; empty: the server's host:port.
  std::uint32_t port = 0;  // 0: the server's own port.
  std::vector<std::pair<std::string, std::string>> headers;
  std::uint32_t status = 0;
  std::string scheme;  // "http" or "https"; empty: the server's own.
  bool operator==(const HealthCheck&) const = default;
};

// Traefik's serversTransport: how the data plane talks TLS to the https:// servers of the
// services that name it. Without one, a server's certificate is verified against the system's
// trust store and the host of its URL.
struct ServersTransport {
  std::string name;                   // Qualified, e.g. "internal-ca@file".
  std::string server_name;            // SNI and the name the certificate must carry; empty:
                                      // the server URL's host.
  bool insecure_skip_verify = false;  // Any certificate is accepted (self-signed backends).
  std::vector<std::string> root_cas;  // PEM; empty: the system's trust store.
  std::string cert_pem, key_pem;      // A client certificate for mutual TLS; empty: none.
  // Traefik's disableHTTP2: https:// servers are offered only http/1.1 in ALPN. Otherwise they
  // may choose h2, and then get their requests multiplexed over HTTP/2.
  bool disable_http2 = false;
  bool operator==(const ServersTransport&) const = default;
};

struct Service {
  std::string name;
  std::vector<Server> servers;  // May be empty: the router then answers 503, not 404.
  bool pass_host_header = true;
  ServiceTimeouts timeouts;
  // "wrr": smooth weighted round robin; "p2c": the less busy of two servers picked at random
  // (power of two choices, by requests in flight).
  std::string strategy = "wrr";
  std::optional<StickyCookie> sticky;
  std::optional<HealthCheck> health_check;
  std::string transport;  // A ServersTransport's name; empty: the default.
  // One of Traefik's internal services, answered by the data plane itself (no servers):
  // "api" and "dashboard" (the read-only API and the dashboard), "noop" (418, for routers that
  // only redirect), "ping" (200 OK), "prometheus" (the metrics). Empty: a proxied service.
  std::string internal;
  bool operator==(const Service&) const = default;
};

// A middleware as Traefik configures it: type and options keyed by lower-cased dotted paths
// (middleware/spec.hpp parses them; docs/middlewares.md lists what each type takes).
struct Middleware {
  std::string name;  // Qualified, e.g. "auth@docker".
  std::string type;  // "basicauth", "headers", ...
  std::vector<std::pair<std::string, std::string>> options;
  bool operator==(const Middleware&) const = default;
};

// A certificate and its private key for TLS termination, as PEM text. `domains` are the TLS
// server names (SNI) it is for: exact names or one-label wildcards ("*.example.com"). The table
// carries key material, so whoever stores it (the data plane's state file) keeps it mode 0600
// and nobody logs it: logs and --check name certificates, never print them.
struct Certificate {
  std::string name;  // Qualified, e.g. "default-web-tls@kubernetes".
  std::vector<std::string> domains;
  std::string cert_pem;  // Leaf first, then intermediates.
  std::string key_pem;
  // Served to connections whose name no certificate covers (Traefik's default store), instead
  // of the data plane's generated one. At most one per table.
  bool is_default = false;
  bool operator==(const Certificate&) const = default;
};

// Why an object the providers produced is not in the table, carried along so the data plane's
// admin API and the controller's --check can show it next to the objects that made it.
struct Diagnostic {
  std::string kind;  // "router", "service", "middleware", ...
  std::string name;
  std::string message;
  // Nothing was left out: an ignored key, a harmless label, an entry point dropped from a
  // router still served elsewhere. Reported apart; `--check` fails on it only with --strict.
  bool warning = false;
  bool operator==(const Diagnostic&) const = default;
};

// Traefik's TLS options (`tls.options.<name>`): protocol versions, suites, groups and client
// certificates for the TLS connections of the routers naming them, chosen by SNI. The one
// named "default" (by any provider) applies to every other TLS connection.
struct TlsOptions {
  std::string name;                        // Qualified, e.g. "modern@file".
  std::string min_version = "1.2";         // "1.2" or "1.3".
  std::string max_version;                 // Empty: the highest (1.3).
  std::vector<std::string> cipher_suites;  // OpenSSL names; empty: Wharf's AEAD defaults.
  std::vector<std::string> curves;         // OpenSSL group names (X25519, P-256, ...).
  bool sni_strict = false;                 // Refuse handshakes naming no certificate's host.
  // Client certificates: "" (none asked), "request", "require_any", "verify_if_given",
  // "require_and_verify" (Traefik's clientAuthType values, in its order).
  std::string client_auth;
  std::vector<std::string> client_cas;  // PEM bundles trusted for client certificates.
  bool operator==(const TlsOptions&) const = default;
};

// A pending ACME challenge (RFC 8555 section 8.3, RFC 8737) the controller needs the data plane
// to answer. http-01: a plain-HTTP GET of /.well-known/acme-challenge/<token> gets
// `key_authorization`. tls-alpn-01 (`domain` set): a TLS handshake for that name offering ALPN
// acme-tls/1 gets the certificate `cert_pem`/`key_pem`, made for the validation only.
struct AcmeChallenge {
  std::string token, key_authorization;
  std::string domain, cert_pem, key_pem;
  bool operator==(const AcmeChallenge&) const = default;
};

// What the controller's ACME resolvers know of a certificate routers asked for. The data plane
// holds the certificates; only the controller knows that the last attempt failed, why, and
// when the next one is, so it sends that along for the admin API and the dashboard.
struct CertificateStatus {
  std::string resolver;
  std::vector<std::string> domains;
  std::string router;          // The (first) router asking for it.
  std::string certificate;     // The certificate in the table once there is one, else empty.
  std::string state;           // "pending" (none yet), "valid", "failing" (the last try failed).
  std::string last_error;      // With "failing".
  std::uint64_t renew_at = 0;  // Unix seconds: when a valid certificate is renewed,
  std::uint64_t retry_at = 0;  // and when a failing one is tried again.
  bool operator==(const CertificateStatus&) const = default;
};

// Traefik's tcp.routers: chosen per connection by a TCP rule (rules::parse_tcp) over what the
// connection says before its payload (its ClientHello's SNI and ALPN, its client address).
// Not served yet (docs/tcp-udp.md): the table carries them, the data plane validates them.
struct TcpRouter {
  std::string name;  // Qualified, e.g. "gitea-ssh@docker".
  std::string rule;
  std::int64_t priority = 0;             // 0 means the length of the rule, as for HTTP routers.
  std::vector<std::string> entrypoints;  // Empty means every entrypoint.
  std::string service;
  // "" relays the bytes as they come (with HostSNI(`*`): a plain TCP service), "terminate"
  // ends TLS with the table's certificates first, "passthrough" routes on the SNI and leaves
  // TLS to the servers.
  std::string tls;
  std::string tls_options;  // With "terminate": a TlsOptions name; empty: the default.
  bool operator==(const TcpRouter&) const = default;
};

struct StreamServer {
  std::string address;  // "host:port" or "[v6]:port".
  std::uint32_t weight = 1;
  bool operator==(const StreamServer&) const = default;
};

struct TcpService {
  std::string name;
  std::vector<StreamServer> servers;
  std::uint32_t proxy_protocol = 0;   // 1 or 2: the PROXY header servers get first; 0: none.
  std::uint32_t connect_ms = 30'000;  // A server not connected by then: the next one is tried.
  bool operator==(const TcpService&) const = default;
};

// Traefik's udp.routers: every datagram of an entrypoint goes to the router's service, in
// sessions keyed by the client's address that end after the entry point's `udp.timeout`
// without traffic (a listener's setting, so the data plane's static configuration holds it).
struct UdpRouter {
  std::string name;
  std::vector<std::string> entrypoints;
  std::string service;
  bool operator==(const UdpRouter&) const = default;
};

struct UdpService {
  std::string name;
  std::vector<StreamServer> servers;
  bool operator==(const UdpService&) const = default;
};

struct RoutingTable {
  std::uint64_t version = 0;
  std::vector<EntryPoint> entrypoints;
  std::vector<Router> routers;
  std::vector<Service> services;
  std::vector<Middleware> middlewares;
  std::vector<Certificate> certificates;
  std::vector<Diagnostic> diagnostics;
  std::vector<ServersTransport> transports;
  std::vector<AcmeChallenge> acme_challenges;
  std::vector<CertificateStatus> certificate_status;
  std::vector<TlsOptions> tls_options;
  std::vector<TcpRouter> tcp_routers;
  std::vector<TcpService> tcp_services;
  std::vector<UdpRouter> udp_routers;
  std::vector<UdpService> udp_services;
  bool operator==(const RoutingTable&) const = default;

  const Service* find_service(std::string_view name) const;
  const ServersTransport* find_transport(std::string_view name) const;
  const EntryPoint* find_entrypoint(std::string_view name) const;
};

// Parsed "http://host:port", "https://host:port" or "h2c://host:port" server address.
struct ServerAddress {
  std::string host;  // Without brackets for IPv6.
  std::uint16_t port = 80;
  bool tls = false;  // https: the port defaults to 443.
  bool h2c = false;  // h2c: HTTP/2 with prior knowledge, no TLS.
};
Result<ServerAddress> parse_server_url(std::string_view url);
// A TCP or UDP server's "host:port" or "[v6]:port" (the port is required).
Result<ServerAddress> parse_stream_address(std::string_view address);
// Why the table's TCP and UDP routers and services are inconsistent, if they are (validate
// calls it).
Status validate_stream_routes(const RoutingTable& table);

// "http://10.0.0.5:8080" or "http://[fd00::5]:8080" for an address providers report (a
// container's, an endpoint's); nothing when it is not an IP literal or the port is out of range,
// so a provider's odd data can never produce a server URL the data plane refuses.
std::optional<std::string> server_url_for_ip(std::string_view ip, std::int64_t port,
                                             std::string_view scheme = "http");

// Why a service's load-balancing options are unusable, or empty when they are fine; the
// translators report it against the label or line, validate() refuses the table with it.
std::string service_options_problem(const std::string& strategy,
                                    const std::optional<StickyCookie>& sticky,
                                    const std::optional<HealthCheck>& health_check);

// Why TLS options are unusable (a version, a client-auth type, a name list), or empty.
std::string tls_options_problem(const TlsOptions& o);

// Traefik's internal services Wharf answers itself (Service::internal).
bool is_internal_service(std::string_view kind);

// Checks what JSON decoding cannot: unique names, references that resolve, rules that parse,
// server URLs. Returns the first problem, naming the object; the data plane nacks with it.
Status validate(const RoutingTable& table);

}  // namespace wharf::model
