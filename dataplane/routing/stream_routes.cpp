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

const CompiledStreamServer* CompiledStreamService::pick(
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

namespace {

// Services with their servers resolved once (a name that does not resolve is kept with its
// reason, as HTTP servers are) and their weighted schedule.
template <typename Service>
model::Result<std::unique_ptr<CompiledStreamService>> compile_service(const Service& s,
                                                                      const char* kind) {
  auto cs = std::make_unique<CompiledStreamService>();
  cs->name = s.name;
  std::vector<model::Server> weights;  // What build_schedule reads: the weights.
  for (const auto& srv : s.servers) {
    auto addr = model::parse_stream_address(srv.address);
    if (!addr)
      return model::Error{std::string(kind) + " service '" + s.name + "': " + addr.error()};
    CompiledStreamServer c{srv.address, {}, srv.weight, {}};
    if (auto ep = resolve_endpoint(addr->host, addr->port)) {
      c.endpoint = *ep;
    } else {
      c.resolve_error = ep.error();
    }
    weights.push_back({{}, c.resolve_error.empty() ? c.weight : 0, false});
    cs->servers.push_back(std::move(c));
  }
  cs->schedule = build_schedule(weights);
  return cs;
}

}  // namespace

model::Result<std::shared_ptr<const StreamRoutes>> StreamRoutes::build(
    const model::RoutingTable& table) {
  auto out = std::make_shared<StreamRoutes>();
  std::unordered_map<std::string, const CompiledStreamService*> by_name, udp_by_name;
  for (const auto& s : table.tcp_services) {
    auto cs = compile_service(s, "tcp");
    if (!cs) return model::Error{cs.error()};
    (*cs)->proxy_protocol = s.proxy_protocol;
    (*cs)->connect_timeout = std::chrono::milliseconds(s.connect_ms);
    by_name[s.name] = cs->get();
    out->services_.push_back(std::move(*cs));
  }
  for (const auto& s : table.udp_services) {
    auto cs = compile_service(s, "udp");
    if (!cs) return model::Error{cs.error()};
    udp_by_name[s.name] = cs->get();
    out->udp_services_.push_back(std::move(*cs));
  }
  for (const auto& r : table.udp_routers) {
    auto service = udp_by_name.find(r.service);
    if (service == udp_by_name.end()) {
      return model::Error{"udp router '" + r.name + "' uses udp service '" + r.service +
                          "', which is not defined"};
    }
    out->udp_routers_.push_back({r.name, r.entrypoints, service->second});
  }
  std::sort(out->udp_routers_.begin(), out->udp_routers_.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
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

const CompiledUdpRouter* StreamRoutes::udp_route(std::string_view entrypoint) const {
  for (const auto& r : udp_routers_) {
    if (serves_entrypoint(r.entrypoints, entrypoint)) return &r;
  }
  return nullptr;
}

bool StreamRoutes::any_on(std::string_view entrypoint, bool tls) const {
  return std::any_of(routers_.begin(), routers_.end(), [&](const auto& r) {
    return is_tls(*r) == tls && r->on_entrypoint(entrypoint);
  });
}

}  // namespace wharf::dataplane::routing
