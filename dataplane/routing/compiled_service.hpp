#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/routing/server_state.hpp"
#include "dataplane/tls/upstream_tls.hpp"
#include "model/routing_table.hpp"

// A service as requests use it: its servers resolved, its load-balancing schedule computed
// once per table, and `pick`, the per-request choice of a server.
namespace wharf::dataplane::routing {

struct CompiledServer {
  std::string url;
  std::string authority;  // "host:port", sent as Host when the service does not pass it on.
  std::string host;       // The URL's host (no brackets): the TLS name when none is set.
  boost::asio::ip::tcp::endpoint endpoint;
  std::shared_ptr<const tls::UpstreamTls> tls;  // Set for https:// servers.
  bool h2c = false;           // h2c:// — HTTP/2 with prior knowledge in clear text.
  std::string resolve_error;  // Non-empty when the host name did not resolve at apply time.
  std::uint32_t weight = 1;
  std::shared_ptr<ServerState> state;  // Load and passive health, shared across tables.
  std::string sticky_value;            // The sticky cookie's value for it: a hash, not the address.
  bool unresolved = false;  // model::Server::unresolved: its requests are answered 500 here.

  // Whether requests to this server go over HTTP/2: h2c, or an https server whose ALPN chose
  // h2 (learned at the last handshake). Upgrades (websockets) always go over HTTP/1.1.
  bool http2() const { return h2c || (may_offer_h2() && state->speaks_h2()); }
  // Whether a TLS handshake to it may offer h2 (the transport allows HTTP/2).
  bool may_offer_h2() const { return tls && tls->offer_h2; }
};

// `host` (a name or an IP literal) and `port` as an endpoint; names are looked up (blocking:
// the control thread only).
model::Result<boost::asio::ip::tcp::endpoint> resolve_endpoint(const std::string& host,
                                                               std::uint16_t port);

// Parses a server URL and resolves its host; call on the control thread only (DNS blocks).
// The URL must be valid (model::validate checks it first). An https:// server talks TLS as
// `tls` says, or as the default transport does when it is null.
CompiledServer compile_server(const model::Server& s,
                              std::shared_ptr<const tls::UpstreamTls> tls = nullptr);

struct CompiledService {
  std::string name;
  std::vector<CompiledServer> servers;
  // Indexes into servers, interleaved by weight (smooth weighted round robin, computed once).
  std::vector<std::uint32_t> schedule;
  bool pass_host_header = true;
  model::ServiceTimeouts timeouts;
  bool p2c = false;  // Power of two choices instead of the round-robin schedule.
  std::optional<model::HealthCheck> health_check;  // Run by HealthChecker.
  // Sticky sessions: the cookie's name and what follows its value in Set-Cookie.
  std::string sticky_name, sticky_attributes;
  std::string internal;  // model::Service::internal: answered by the data plane itself.
  mutable std::atomic<std::uint64_t> next{0};  // Relaxed; only spreads load.

  // The server for a request, or nullptr when the service has none that is up (→ 503).
  // `cookies` is the request's Cookie header (sticky sessions); `exclude` lists servers that
  // already failed this request; `set_cookie`, when given, receives the Set-Cookie value the
  // response must carry (empty when none).
  const CompiledServer* pick(std::string_view cookies = {}, std::string* set_cookie = nullptr,
                             const std::vector<const CompiledServer*>& exclude = {}) const;
};

// Smooth weighted round robin (as in nginx): the servers' indexes interleaved by weight, so a
// heavy server's turns are spread out instead of sent in a burst. Bounded, so absurd weights
// cannot cost memory.
std::vector<std::uint32_t> build_schedule(const std::vector<model::Server>& servers);

// The sticky cookie value naming a server: a hash of its URL, so cookies do not reveal
// internal addresses and stay valid across tables while the URL does.
std::string sticky_value(const std::string& url);

// Cookie name (derived from the service name when the table leaves it empty, as Traefik
// does) and the Set-Cookie attributes.
void set_sticky(CompiledService& service, const model::StickyCookie& cookie);

}  // namespace wharf::dataplane::routing
