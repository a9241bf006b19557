#include "dataplane/routing/compiled_table.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "dataplane/metrics/route_stats.hpp"
#include "log/log.hpp"
#include "middleware/chain.hpp"
#include "rules/parser.hpp"

namespace wharf::dataplane::routing {
namespace {

// Routers are tried by priority, highest first; equal priorities fall back to the name so the
// order never depends on the order providers listed them in.
bool before(const CompiledRouter* a, const CompiledRouter* b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  return a->name < b->name;
}

// Shared by every table this process builds, so limits and caches survive swaps.
StateRegistry& middleware_states() {
  static StateRegistry registry;
  return registry;
}

// What identifies a middleware's state: same name, type and options → same state.
std::string state_key(const model::Middleware& m) {
  std::string key = m.name + '\n' + m.type;
  for (const auto& [k, v] : m.options) key += '\n' + k + '=' + v;
  return key;
}

}  // namespace

bool CompiledRouter::on_entrypoint(std::string_view ep) const {
  return serves_entrypoint(entrypoints, ep);
}

model::Result<std::shared_ptr<const CompiledTable>> CompiledTable::build(
    model::RoutingTable table, const std::map<std::string, std::uint16_t>& listen_ports) {
  if (auto ok = model::validate(table); !ok) return model::Error{ok.error()};
  auto out = std::shared_ptr<CompiledTable>(new CompiledTable());
  out->source_ = std::move(table);
  // Client TLS contexts, one per servers transport, shared by the services naming it.
  std::map<std::string, std::shared_ptr<const tls::UpstreamTls>> transports;
  for (const auto& t : out->source_.transports) {
    auto made = tls::make_upstream_tls(t);
    if (!made) return model::Error{made.error()};
    transports.emplace(t.name, std::move(*made));
  }
  std::unordered_map<std::string, const CompiledService*> by_name;
  for (const auto& s : out->source_.services) {
    auto cs = std::make_unique<CompiledService>();
    cs->name = s.name;
    auto transport = s.transport.empty() ? nullptr : transports.at(s.transport);
    for (const auto& srv : s.servers) cs->servers.push_back(compile_server(srv, transport));
    cs->schedule = build_schedule(s.servers);
    cs->pass_host_header = s.pass_host_header;
    cs->internal = s.internal;
    cs->timeouts = s.timeouts;
    cs->p2c = s.strategy == "p2c";
    cs->health_check = s.health_check;
    if (s.sticky) set_sticky(*cs, *s.sticky);
    by_name[s.name] = cs.get();
    out->services_.push_back(std::move(cs));
  }
  // Services first: a middleware may name one (errors).
  middleware::ServiceLookup services = [&](const std::string& n) -> const CompiledService* {
    auto it = by_name.find(n);
    return it == by_name.end() ? nullptr : it->second;
  };
  std::map<std::string, wharf::middleware_config::Spec> specs;
  for (const auto& m : out->source_.middlewares) {
    auto spec =
        wharf::middleware_config::parse(m.type, m.options);  // validate() parsed it already.
    if (auto built =
            middleware::build(*spec, m.name, state_key(m), middleware_states(), services)) {
      out->middlewares_.emplace(m.name, std::move(built));
    }
    specs.emplace(m.name, std::move(*spec));
  }
  for (const auto& e : out->source_.entrypoints) {
    const auto& r = e.redirect;
    if (r.to.empty()) continue;
    std::string port = r.to.starts_with(':') ? r.to.substr(1) : std::string();
    if (port.empty()) {
      auto it = listen_ports.find(r.to);
      if (it == listen_ports.end()) {
        return model::Error{"entrypoint '" + e.name + "' redirects to entrypoint '" + r.to +
                            "', which this data plane does not listen on"};
      }
      port = std::to_string(it->second);
    }
    out->redirects_.emplace(e.name, middleware::entrypoint_redirect(r.scheme, port, r.permanent));
  }
  for (const auto& r : out->source_.routers) {
    auto cr = std::make_unique<CompiledRouter>();
    cr->name = r.name;
    cr->rule = std::move(*rules::parse(r.rule));  // validate() has parsed it once already.
    cr->priority = r.effective_priority();
    cr->entrypoints = r.entrypoints;
    cr->tls = r.tls;
    cr->tls_options = r.tls_options;
    cr->service = by_name.at(r.service);
    cr->metrics_route = metrics::route_id(r.name, r.service);
    out->metrics_routes_.push_back(cr->metrics_route);
    auto lookup = [&](const std::string& n) -> const wharf::middleware_config::Spec* {
      auto it = specs.find(n);
      return it == specs.end() ? nullptr : &it->second;
    };
    auto expanded = wharf::middleware_config::expand(r.middlewares, lookup);
    if (!expanded) return model::Error{"router '" + r.name + "': " + expanded.error()};
    for (const auto& name : expanded.value()) {
      cr->middlewares.push_back(out->middlewares_.at(name).get());
    }
    auto hosts = rules::required_hosts(cr->rule);
    if (hosts.empty()) out->hostless_.push_back(cr.get());
    for (const auto& h : hosts) {
      if (h.starts_with("*.")) {
        out->wildcard_hosts_[h.substr(1)].push_back(cr.get());
      } else {
        out->exact_hosts_[h].push_back(cr.get());
      }
    }
    out->routers_.push_back(std::move(cr));
  }
  std::sort(out->metrics_routes_.begin(), out->metrics_routes_.end());
  auto sort = [](RouterList& l) {
    std::sort(l.begin(), l.end(), before);
    l.erase(std::unique(l.begin(), l.end()), l.end());
  };
  for (auto& [_, l] : out->exact_hosts_) sort(l);
  for (auto& [_, l] : out->wildcard_hosts_) sort(l);
  sort(out->hostless_);
  // Certificates load here, off the hot path: a handshake only looks the name up.
  // TLS options are chosen by server name: every host of a TLS router naming options gets
  // them. Two routers asking different options for one host cannot both be honoured; that
  // host keeps the default options and the conflict is logged (Traefik does the same).
  // TCP routers that terminate TLS are chosen among by the same ClientHello, so their options
  // go by server name too (HostSNI hosts), in the same map.
  std::map<std::string, std::string> options_by_host;
  std::set<std::string> conflicts;
  auto want = [&](const rules::Node& rule, const std::string& options) {
    for (const auto& h : rules::required_hosts(rule)) {
      auto [it, added] = options_by_host.emplace(h, options);
      if (!added && it->second != options) conflicts.insert(h);
    }
  };
  for (const auto& r : out->routers_) {
    if (r->tls && !r->tls_options.empty()) want(r->rule, r->tls_options);
  }
  for (const auto& r : out->source_.tcp_routers) {
    if (r.tls != "terminate" || r.tls_options.empty()) continue;
    if (auto rule = rules::parse_tcp(r.rule)) want(*rule, r.tls_options);
  }
  for (const auto& h : conflicts) {
    log::warn("TLS options: routers for " + h + " name different TLS options; " + h +
              " gets the default options");
    options_by_host.erase(h);
  }
  auto certs = tls::CertificateStore::build(out->source_.certificates, out->source_.acme_challenges,
                                            out->source_.tls_options, options_by_host);
  for (const auto& a : out->source_.acme_challenges) {
    if (!a.token.empty()) out->acme_http_.emplace(a.token, a.key_authorization);
  }
  if (!certs) return model::Error{certs.error()};
  out->certificates_ = std::move(*certs);
  auto streams = StreamRoutes::build(out->source_);
  if (!streams) return model::Error{streams.error()};
  out->streams_ = std::move(*streams);
  return std::shared_ptr<const CompiledTable>(std::move(out));
}

const CompiledRouter* CompiledTable::match(std::string_view entrypoint,
                                           const rules::RequestView& req,
                                           std::size_t* tried) const {
  static const RouterList kEmpty;
  // Heterogeneous lookup is C++20 but not in libstdc++ 12, hence the string copy; the host
  // string is short and usually fits the small-string buffer.
  auto find = [](const auto& map, std::string_view key) -> const RouterList& {
    if (map.empty()) return kEmpty;  // No host rules of that kind: no copy, no hash.
    auto it = map.find(std::string(key));
    return it == map.end() ? kEmpty : it->second;
  };
  const RouterList& exact = find(exact_hosts_, req.host);
  auto dot = req.host.find('.');
  const RouterList& wild =
      dot == std::string_view::npos ? kEmpty : find(wildcard_hosts_, req.host.substr(dot));
  // Three sorted lists merged on the fly: the same order as one global priority list.
  std::size_t i = 0, j = 0, k = 0;
  for (;;) {
    const CompiledRouter* best = nullptr;
    int from = -1;
    if (i < exact.size()) best = exact[i], from = 0;
    if (j < wild.size() && (!best || before(wild[j], best))) best = wild[j], from = 1;
    if (k < hostless_.size() && (!best || before(hostless_[k], best)))
      best = hostless_[k], from = 2;
    if (!best) return nullptr;
    (from == 0 ? i : from == 1 ? j : k)++;
    // Traefik's rule: a router with TLS serves only TLS connections, one without only plain.
    if (best->tls != req.tls || !best->on_entrypoint(entrypoint)) continue;
    if (tried) ++*tried;
    if (rules::evaluate(best->rule, req)) return best;
  }
}

CompiledTable::HttpsClaim CompiledTable::https_claim(std::string_view entrypoint,
                                                     std::string_view sni) const {
  auto serves = [&](const RouterList& list) {
    return std::any_of(list.begin(), list.end(), [&](const CompiledRouter* r) {
      return r->tls && r->on_entrypoint(entrypoint);
    });
  };
  if (!sni.empty()) {
    auto exact = exact_hosts_.find(std::string(sni));
    if (exact != exact_hosts_.end() && serves(exact->second)) return HttpsClaim::kHost;
    if (auto dot = sni.find('.'); dot != std::string_view::npos) {
      auto wild = wildcard_hosts_.find(std::string(sni.substr(dot)));
      if (wild != wildcard_hosts_.end() && serves(wild->second)) return HttpsClaim::kHost;
    }
  }
  if (serves(hostless_)) return HttpsClaim::kHostless;
  if (sni.empty()) {
    // Asked whether any HTTPS router is there at all: those with hosts count too.
    for (const auto* map : {&exact_hosts_, &wildcard_hosts_}) {
      for (const auto& [host, list] : *map) {
        if (serves(list)) return HttpsClaim::kHost;
      }
    }
  }
  return HttpsClaim::kNone;
}

const std::string* CompiledTable::acme_http_answer(std::string_view token) const {
  if (acme_http_.empty()) return nullptr;
  auto it = acme_http_.find(std::string(token));
  return it == acme_http_.end() ? nullptr : &it->second;
}

const middleware::Middleware* CompiledTable::entrypoint_redirect(std::string_view name) const {
  if (redirects_.empty()) return nullptr;
  auto it = redirects_.find(name);
  return it == redirects_.end() ? nullptr : it->second.get();
}

const model::EntryPointTimeouts& CompiledTable::entrypoint_timeouts(std::string_view name) const {
  const auto* ep = source_.find_entrypoint(name);
  return ep ? ep->timeouts : default_timeouts_;
}

}  // namespace wharf::dataplane::routing
