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
#include "dataplane/routing/compiled_service.hpp"
#include "dataplane/routing/stream_routes.hpp"
#include "dataplane/tls/certificate_store.hpp"
#include "dataplane/tls/upstream_tls.hpp"
#include "model/result.hpp"
#include "model/routing_table.hpp"
#include "rules/ast.hpp"

namespace wharf::dataplane::routing {

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

  // How HTTPS routers of `entrypoint` claim a TLS connection for `sni`, for the choice between
  // them and TCP routers: one names the host (exactly or by a *. wildcard), or only ones
  // without a host rule are there, or none.
  enum class HttpsClaim { kNone, kHostless, kHost };
  HttpsClaim https_claim(std::string_view entrypoint, std::string_view sni) const;
  bool any_https_on(std::string_view entrypoint) const {
    return https_claim(entrypoint, {}) != HttpsClaim::kNone;
  }

  const model::RoutingTable& source() const { return source_; }
  const std::vector<std::unique_ptr<CompiledService>>& services() const { return services_; }
  const std::vector<std::unique_ptr<CompiledRouter>>& routers() const { return routers_; }
  // Every router's metrics_route, sorted: counters of routes not in it are dropped.
  const std::vector<std::uint32_t>& metrics_routes() const { return metrics_routes_; }
  const tls::CertificateStore& certificates() const { return *certificates_; }
  // TCP routers and services (docs/tcp-udp.md).
  const StreamRoutes& streams() const { return *streams_; }
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
  std::shared_ptr<const StreamRoutes> streams_;
  std::map<std::string, std::shared_ptr<const middleware::Middleware>, std::less<>> middlewares_;
  std::map<std::string, std::shared_ptr<const middleware::Middleware>, std::less<>> redirects_;
  model::EntryPointTimeouts default_timeouts_;
  std::vector<std::uint32_t> metrics_routes_;
  std::unordered_map<std::string, std::string> acme_http_;  // token → key authorization
};

}  // namespace wharf::dataplane::routing
