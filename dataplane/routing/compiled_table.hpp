#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/middleware/middleware.hpp"
#include "dataplane/routing/server_state.hpp"
#include "dataplane/tls/certificate_store.hpp"
#include "dataplane/tls/upstream_tls.hpp"
#include "model/result.hpp"
#include "model/routing_table.hpp"
#include "rules/ast.hpp"

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

struct CompiledRouter {
  std::string name;
  rules::Node rule;
  std::int64_t priority = 0;
  std::vector<std::string> entrypoints;  // Empty: all.
  bool tls = false;
  std::string tls_options;  // The TLS options it names; empty: the default.
  const CompiledService* service = nullptr;
  // Chains expanded, in the order requests pass them; owned by the table.
  std::vector<const middleware::Middleware*> middlewares;
  std::uint32_t metrics_route = 0;  // Its (router, service) label values, interned.

  bool on_entrypoint(std::string_view ep) const;
};

// The routing table in the form requests use: built once per apply on the control thread and
// then only read, by every worker, for as long as some request holds it.
class CompiledTable {
 public:
  // `listen_ports` (entrypoint name → the port this data plane listens on) resolves
  // entrypoint redirections that name their target entrypoint.
  static model::Result<std::shared_ptr<const CompiledTable>> build(
      model::RoutingTable table, const std::map<std::string, std::uint16_t>& listen_ports = {});

  // The first router, in priority order, whose rule matches. Cost depends on the routers that
  // could match this host (plus the host-less ones), not on how many hosts the table has.
  // `tried`, when given, receives how many rules were evaluated (tests check the bound).
  const CompiledRouter* match(std::string_view entrypoint, const rules::RequestView& req,
                              std::size_t* tried = nullptr) const;

  const model::RoutingTable& source() const { return source_; }
  const std::vector<std::unique_ptr<CompiledService>>& services() const { return services_; }
  const std::vector<std::unique_ptr<CompiledRouter>>& routers() const { return routers_; }
  // Every router's metrics_route, sorted: counters of routes not in it are dropped.
  const std::vector<std::uint32_t>& metrics_routes() const { return metrics_routes_; }
  const tls::CertificateStore& certificates() const { return *certificates_; }
  std::uint64_t version() const { return source_.version; }
  // Entrypoint timeouts from the table, or the defaults for an entrypoint it does not name.
  const model::EntryPointTimeouts& entrypoint_timeouts(std::string_view name) const;
  // The key authorization an HTTP-01 validation of `token` gets, or nullptr.
  const std::string* acme_http_answer(std::string_view token) const;
  // The redirection every plain-HTTP request on this entrypoint gets, or nullptr.
  const middleware::Middleware* entrypoint_redirect(std::string_view name) const;

 private:
  using RouterList = std::vector<const CompiledRouter*>;

  model::RoutingTable source_;
  std::vector<std::unique_ptr<CompiledService>> services_;
  std::vector<std::unique_ptr<CompiledRouter>> routers_;
  std::unordered_map<std::string, RouterList> exact_hosts_;
  std::unordered_map<std::string, RouterList> wildcard_hosts_;  // Keyed by ".example.com".
  RouterList hostless_;
  std::shared_ptr<const tls::CertificateStore> certificates_;
  std::map<std::string, std::shared_ptr<const middleware::Middleware>, std::less<>> middlewares_;
  std::map<std::string, std::shared_ptr<const middleware::Middleware>, std::less<>> redirects_;
  model::EntryPointTimeouts default_timeouts_;
  std::vector<std::uint32_t> metrics_routes_;
  std::unordered_map<std::string, std::string> acme_http_;  // token → key authorization
};

}  // namespace wharf::dataplane::routing
