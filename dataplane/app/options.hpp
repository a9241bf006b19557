#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/ip.hpp"
#include "model/result.hpp"

namespace wharf::dataplane {

struct EntryPointAddress {
  std::string name = {};
  std::string host = {};  // Empty means every address.
  std::uint16_t port = 0;
  // From the static configuration's entry point (forwardedHeaders.trustedIPs,
  // http2.maxConcurrentStreams); unset: the flags' values for every entry point.
  std::optional<std::vector<model::Cidr>> trusted_proxies = std::nullopt;
  std::uint32_t http2_max_streams = 0;
  bool udp = false;                      // ":53/udp": datagrams for udp.routers (docs/tcp-udp.md).
  std::uint32_t udp_timeout_ms = 3'000;  // A UDP client's session ends this long idle.
  // proxyProtocol.trustedIPs: peers whose PROXY header is read (and required to be well formed);
  // anyone else sending one is refused. Unset: nobody may send one.
  std::optional<std::vector<model::Cidr>> proxy_protocol = std::nullopt;
};

// Static options of the data plane process: flags, each also readable from a WHARF_* variable.
// Everything that changes at run time lives in the routing table instead.
struct Options {
  std::vector<EntryPointAddress> entrypoints;
  // The admin listener (/metrics, /healthz, /readyz, /api, the dashboard); empty host: every
  // address. Disabled with `--admin-address off`.
  bool admin_enabled = true;
  EntryPointAddress admin{.name = "admin", .host = "", .port = 8082};
  // Upper bounds, in seconds, of the request duration histogram's buckets.
  std::vector<double> metrics_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  std::string access_log = "off";  // A file path, "stdout" or "off".
  bool access_log_json = false;    // --access-log-format json; else Traefik's common format.
  // Query parameters whose values never reach the access log (compared case-insensitively).
  std::vector<std::string> redact{"api_key",      "apikey",       "token",
                                  "access_token", "x-emby-token", "x-mediabrowser-token",
                                  "signature",    "key"};
  std::size_t access_log_queue = 16'384;  // Lines waiting for the writer before lines drop.
  std::string control_socket = "/run/wharf/control.sock";
  std::string state_dir;  // Empty: nothing persisted.
  unsigned threads = 0;   // 0: one per core.
  std::vector<model::Cidr> trusted_proxies;
  std::uint32_t drain_timeout_ms = 30'000;
  // HTTP/2 (RFC 9113): on every entrypoint (ALPN h2 over TLS, the connection preface in
  // plain text) but those named here.
  std::vector<std::string> http2_disabled;
  std::uint32_t http2_max_streams = 128;  // SETTINGS_MAX_CONCURRENT_STREAMS per connection.
  const EntryPointAddress* entrypoint(std::string_view name) const {
    for (const auto& e : entrypoints) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }
  const std::vector<model::Cidr>& trusted_proxies_of(std::string_view entrypoint) const {
    for (const auto& e : entrypoints) {
      if (e.name == entrypoint && e.trusted_proxies) return *e.trusted_proxies;
    }
    return trusted_proxies;
  }
  std::uint32_t http2_max_streams_of(std::string_view entrypoint) const {
    for (const auto& e : entrypoints) {
      if (e.name == entrypoint && e.http2_max_streams) return e.http2_max_streams;
    }
    return http2_max_streams;
  }
  bool http2_on(std::string_view entrypoint) const {
    for (const auto& n : http2_disabled) {
      if (n == entrypoint) return false;
    }
    return true;
  }
  bool show_help = false;
  bool show_version = false;
};

// Parses argv; for flags absent there, the environment (WHARF_ENTRYPOINT, ...) is consulted.
model::Result<Options> parse_options(int argc, const char* const* argv, char** envp);

const char* options_help();

}  // namespace wharf::dataplane
