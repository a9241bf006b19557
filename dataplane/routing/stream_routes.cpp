#include "dataplane/routing/stream_routes.hpp"

#include <algorithm>
#include <unordered_map>

#include "dataplane/routing/compiled_service.hpp"
#include "rules/parser.hpp"

namespace wharf::dataplane::routing {
namespace {

using Tls = CompiledTcpRouter::Tls;

// Whether a rule names a server name: HostSNI with a name, HostSNIRegexp.
bool names_server(const rules::Node& n) {
  if (n.op != rules::Node::Op::kMatch) {
    return std::any_of(n.children.begin(), n.children.end(), names_server);
  }
  const auto& m = n.matcher;
  if (m.kind == rules::MatcherKind::kHostSNIRegexp) return true;
  return m.kind == rules::MatcherKind::kHostSNI &&
         std::any_of(m.args.begin(), m.args.end(), [](const auto& h) { return h != "*"; });
}

bool is_tls(const CompiledTcpRouter& r) {
  return r.tls != Tls::kNone;
}

}  // namespace

const CompiledStreamServer* CompiledTcpService::pick(
    const std::vector<const CompiledStreamServer*>& tried) const {
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const auto* s =
        &servers[schedule[next.fetch_add(1, std::memory_order_relaxed) % schedule.size()]];
    if (std::find(tried.begin(), tried.end(), s) == tried.end()) return s;
  }
  return nullptr;
}

bool CompiledTcpRouter::on_entrypoint(std::string_view ep) const {
  return serves_entrypoint(entrypoints, ep);
}

model::Result<std::shared_ptr<const StreamRoutes>> StreamRoutes::build(
    const model::RoutingTable& table) {
  auto out = std::make_shared<StreamRoutes>();
  std::unordered_map<std::string, const CompiledTcpService*> by_name;
  for (const auto& s : table.tcp_services) {
    auto cs = std::make_unique<CompiledTcpService>();
    cs->name = s.name;
    cs->proxy_protocol = s.proxy_protocol;
    cs->connect_timeout = std::chrono::milliseconds(s.connect_ms);
    std::vector<model::Server> weights;  // What build_schedule reads: the weights.
    for (const auto& srv : s.servers) {
      auto addr = model::parse_stream_address(srv.address);
      if (!addr) return model::Error{"tcp service '" + s.name + "': " + addr.error()};
      CompiledStreamServer c{srv.address, {}, srv.weight, {}};
      // A name that does not resolve is kept with its reason, as HTTP servers are.
      if (auto ep = resolve_endpoint(addr->host, addr->port)) {
        c.endpoint = *ep;
      } else {
        c.resolve_error = ep.error();
      }
      weights.push_back({{}, c.resolve_error.empty() ? c.weight : 0, false});
      cs->servers.push_back(std::move(c));
    }
    cs->schedule = build_schedule(weights);
    by_name[s.name] = cs.get();
    out->services_.push_back(std::move(cs));
  }
  for (const auto& r : table.tcp_routers) {
    auto rule = rules::parse_tcp(r.rule);
    if (!rule) return model::Error{"tcp router '" + r.name + "': " + rule.error()};
    auto service = by_name.find(r.service);
    if (service == by_name.end()) {
      return model::Error{"tcp router '" + r.name + "' uses tcp service '" + r.service +
                          "', which is not defined"};
    }
    auto cr = std::make_unique<CompiledTcpRouter>();
    cr->name = r.name;
    cr->priority = r.priority != 0 ? r.priority : static_cast<std::int64_t>(r.rule.size());
    cr->entrypoints = r.entrypoints;
    cr->tls = r.tls == "terminate"     ? Tls::kTerminate
              : r.tls == "passthrough" ? Tls::kPassthrough
                                       : Tls::kNone;
    cr->tls_options = r.tls_options;
    cr->service = service->second;
    cr->catch_all = !names_server(*rule);
    cr->rule = std::move(*rule);
    out->routers_.push_back(std::move(cr));
  }
  std::sort(out->routers_.begin(), out->routers_.end(), [](const auto& a, const auto& b) {
    return a->priority != b->priority ? a->priority > b->priority : a->name < b->name;
  });
  return std::shared_ptr<const StreamRoutes>(std::move(out));
}

const CompiledTcpRouter* StreamRoutes::match(std::string_view entrypoint,
                                             const rules::ConnectionView& conn, bool tls) const {
  for (const auto& r : routers_) {
    if (is_tls(*r) == tls && r->on_entrypoint(entrypoint) && rules::evaluate(r->rule, conn)) {
      return r.get();
    }
  }
  return nullptr;
}

bool StreamRoutes::any_on(std::string_view entrypoint, bool tls) const {
  return std::any_of(routers_.begin(), routers_.end(), [&](const auto& r) {
    return is_tls(*r) == tls && r->on_entrypoint(entrypoint);
  });
}

}  // namespace wharf::dataplane::routing
