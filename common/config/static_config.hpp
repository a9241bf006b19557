#pragma once

// Traefik's static configuration (`traefik.yml` / `traefik.toml`, given with --configfile to
// both processes): what a Traefik user already has, read as Traefik reads it (keys without case,
// durations as "60s" or seconds). Each process takes its part: the data plane the listeners
// (addresses, forwarded headers, HTTP/2 streams, access log, drain time); the controller the
// rest (entry points' TLS, middlewares, redirections and timeouts, providers, certificate
// resolvers, the default servers transport, the API). Keys Wharf does not take are warnings
// naming the file, line and key, never fatal; a value Wharf cannot read is an error, as the
// same value given as a flag would be.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/document.hpp"
#include "model/ip.hpp"
#include "model/result.hpp"
#include "model/routing_table.hpp"

namespace wharf::config {

struct StaticEntryPoint {
  std::string name;
  std::string host;  // Empty: every address.
  std::uint16_t port = 0;
  bool udp = false;  // address ":53/udp": a UDP entry point, for udp.routers only.
  std::optional<std::uint32_t> udp_timeout_ms;  // udp.timeout: a client's session ends idle.
  bool as_default = false;
  // proxyProtocol: the peers whose PROXY header is read (`insecure`: every peer); others
  // sending one are refused. Unset: no peer may send one.
  std::optional<std::vector<model::Cidr>> proxy_protocol_ips;
  // forwardedHeaders: the peers whose X-Forwarded-* are believed (`insecure`: every peer).
  std::optional<std::vector<model::Cidr>> trusted_ips;
  // transport.respondingTimeouts and lifeCycle.graceTimeOut, in ms; unset: Wharf's defaults.
  std::optional<std::uint32_t> read_timeout_ms, write_timeout_ms, idle_timeout_ms;
  std::optional<std::uint32_t> grace_timeout_ms;
  // http.redirections.entryPoint; empty `to`: none.
  model::EntryPointRedirect redirect;
  // http.middlewares, as written (`name@provider`).
  std::vector<std::string> middlewares;
  // http.tls: every router on the entry point without a TLS section of its own gets this one.
  bool tls = false;
  std::string cert_resolver;
  std::vector<std::vector<std::string>> tls_domains;  // Each main name first, then its SANs.
  std::string tls_options;
  std::optional<std::uint32_t> http2_max_streams;  // http2.maxConcurrentStreams
  std::string source;                              // "traefik.yml:12"
};

struct StaticDocker {
  bool enabled = false;
  std::string endpoint;            // Empty: Docker's default socket.
  bool exposed_by_default = true;  // Traefik's default, unlike Wharf's flag.
  std::string network;
  std::string default_rule;  // Empty: Traefik's Host(`{{ normalize .Name }}`).
  std::string constraints;
  bool watch = true;
};

// A section handed on as written, with its file's line numbers.
struct RawSection {
  YAML::Node node;
  Where where;
};

struct StaticConfig {
  std::string file;
  std::vector<StaticEntryPoint> entrypoints;
  StaticDocker docker;
  // providers.file: `filename` or `directory`; empty: no file provider.
  std::string file_provider;
  bool file_watch = true;
  std::optional<std::uint32_t> providers_throttle_ms;
  // certificatesResolvers, flattened to Traefik's flag names without the dashes
  // ("certificatesresolvers.le.acme.email" → "ops@example.com"); the options Wharf does not
  // take are left out (and warned about).
  std::vector<std::pair<std::string, std::string>> resolver_flags;
  // serversTransport: the controller reads it with the dynamic files' serversTransports reader
  // (one decoder for both) and makes it the transport of services that name none.
  std::optional<RawSection> servers_transport;
  bool api = false;  // The `api` section is present: api@internal may be used.
  bool api_dashboard = false;
  bool ping = false;        // ping@internal may be used.
  bool prometheus = false;  // metrics.prometheus: prometheus@internal may be used.
  std::string log_level;    // debug, info, warn, error; empty: unset.
  // accessLog: present turns it on; no filePath means stdout.
  bool access_log = false;
  std::string access_log_path;
  bool access_log_json = false;
  std::vector<double> metrics_buckets;  // metrics.prometheus.buckets
  std::vector<std::string> warnings;    // "traefik.yml:3: global.sendAnonymousUsage: ignored ..."

  const StaticEntryPoint* entrypoint(std::string_view name) const {
    for (const auto& e : entrypoints) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }
  // Where an HTTP or TCP router without entryPoints listens, as Traefik decides: the TCP entry
  // points marked asDefault, or every TCP one.
  std::vector<std::string> default_entrypoints() const;
};

// Reads the text of a static configuration; `name` (the file's name) prefixes every message and
// decides the format (".toml" is TOML).
model::Result<StaticConfig> read_static_config(std::string_view text, std::string_view name);
model::Result<StaticConfig> load_static_config(const std::string& path);

}  // namespace wharf::config
