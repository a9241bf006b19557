#include "controller/compiler/stream_compiler.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>

#include "rules/parser.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::compiler {
namespace {

using model::ConfigStreamService;

std::string join_errors(const std::vector<std::string>& errors) {
  return text::join(errors, "; ");
}

// What in a rule needs the ClientHello, which only a TLS router reads: HostSNI with a name,
// HostSNIRegexp, ALPN. Traefik refuses such a rule on a router without TLS; so does Wharf.
std::string needs_tls(const rules::Node& n) {
  if (n.op != rules::Node::Op::kMatch) {
    for (const auto& c : n.children) {
      if (auto why = needs_tls(c); !why.empty()) return why;
    }
    return {};
  }
  switch (n.matcher.kind) {
    case rules::MatcherKind::kHostSNI:
      for (const auto& h : n.matcher.args) {
        if (h != "*") return "HostSNI(`" + h + "`)";
      }
      return {};
    case rules::MatcherKind::kHostSNIRegexp:
      return "HostSNIRegexp";
    case rules::MatcherKind::kALPN:
      return "ALPN";
    default:
      return {};
  }
}

// Services of one protocol: load balancers first, then weighted ones flattened over them
// (each child's share split evenly among its servers, so a child with two servers and weight
// 3 gets three times the connections of a child with one server and weight 1).
template <typename Out>
struct ServiceCompiler {
  const char* protocol;  // "tcp" or "udp"
  model::RoutingTable& table;
  std::map<std::string, Out> done;
  std::set<std::string> rejected;

  void reject(const std::string& name, const std::string& why) {
    rejected.insert(name);
    table.diagnostics.push_back({std::string(protocol) + " service", name, why});
  }

  // Load balancers; the transport lookup gives a TCP service its PROXY version and timeout.
  template <typename Transport>
  void load_balancers(const std::string& provider, const std::vector<ConfigStreamService>& in,
                      const Transport& transport) {
    std::set<std::string> seen;
    for (const auto& s : in) {
      const std::string name = qualify(s.name, provider);
      if (auto bad = name_problem(s.name, seen); !bad.empty()) {
        reject(name, bad);
        continue;
      }
      if (!s.weighted.empty()) continue;
      std::vector<std::string> errors = s.errors;
      Out out;
      out.name = name;
      out.servers = s.servers;
      if constexpr (std::is_same_v<Out, model::TcpService>) {
        if (!s.transport.empty() && errors.empty()) {
          if (auto why = transport(qualify(s.transport, provider), out); !why.empty()) {
            errors.push_back(why);
          }
        }
        if (s.proxy_protocol) out.proxy_protocol = s.proxy_protocol;
      }
      if (!errors.empty()) {
        reject(name, join_errors(errors));
        continue;
      }
      done.emplace(name, std::move(out));
    }
  }

  void weighted(const std::string& provider, const std::vector<ConfigStreamService>& in) {
    for (const auto& s : in) {
      const std::string name = qualify(s.name, provider);
      if (s.weighted.empty() || rejected.count(name)) continue;
      if (!s.errors.empty()) {
        reject(name, join_errors(s.errors));
        continue;
      }
      std::string why;
      std::vector<std::pair<const Out*, std::uint32_t>> children;
      std::uint64_t lcm = 1;
      for (const auto& [child, weight] : s.weighted) {
        const std::string q = qualify(child, provider);
        auto it = done.find(q);
        if (it == done.end()) {
          why = rejected.count(q) ? "uses service " + q + ", which was rejected"
                                  : "uses service " + q + ", which is not a load balancer of " +
                                        "servers defined by any provider";
          break;
        }
        children.emplace_back(&it->second, weight);
        if (const auto n = it->second.servers.size(); n > 0) lcm = std::lcm(lcm, n);
        if (lcm > 10'000) why = "its services have too many servers to weigh";
      }
      Out out;
      out.name = name;
      bool first = true;
      for (const auto& [child, weight] : children) {
        if constexpr (std::is_same_v<Out, model::TcpService>) {
          if (std::exchange(first, false)) {
            out.proxy_protocol = child->proxy_protocol;
            out.connect_ms = child->connect_ms;
          } else if (child->proxy_protocol != out.proxy_protocol) {
            why = "its services send different PROXY protocol versions";
          }
        }
        for (const auto& server : child->servers) {
          const auto share = weight * (lcm / child->servers.size()) * server.weight;
          if (share > 0) out.servers.push_back({server.address, static_cast<std::uint32_t>(share)});
        }
      }
      if (!why.empty()) {
        reject(name, (s.source.empty() ? "" : s.source + ": ") + why);
        continue;
      }
      done.emplace(name, std::move(out));
    }
  }

  // Why a router cannot use `service` (qualified), or empty.
  std::string use(const std::string& service) const {
    if (rejected.count(service)) return "uses service " + service + ", which was rejected";
    if (!done.count(service)) return "uses service " + service + ", which does not exist";
    return {};
  }
};

}  // namespace

void compile_streams(const ProviderConfigs& providers, const std::set<std::string>& tls_options,
                     const std::set<std::string>& rejected_tls_options,
                     model::RoutingTable& table) {
  std::map<std::string, const model::ConfigTcpTransport*> transports;
  std::set<std::string> rejected_transports;
  for (const auto& [provider, config] : providers) {
    std::set<std::string> seen;
    for (const auto& t : config.tcp_transports) {
      const std::string name = qualify(t.name, provider);
      std::vector<std::string> errors = t.errors;
      if (auto bad = name_problem(t.name, seen); !bad.empty()) errors = {bad};
      if (!errors.empty()) {
        rejected_transports.insert(name);
        table.diagnostics.push_back({"tcp transport", name, join_errors(errors)});
      } else {
        transports[name] = &t;
      }
    }
  }
  auto transport = [&](const std::string& name, model::TcpService& out) -> std::string {
    if (rejected_transports.count(name)) {
      return "uses TCP servers transport " + name + ", which was rejected";
    }
    auto it = transports.find(name);
    if (it == transports.end()) {
      return "uses TCP servers transport " + name + ", which does not exist";
    }
    out.proxy_protocol = it->second->proxy_protocol;
    if (it->second->dial_timeout_ms) out.connect_ms = it->second->dial_timeout_ms;
    return {};
  };
  auto no_transport = [](const std::string&, model::UdpService&) { return std::string(); };

  ServiceCompiler<model::TcpService> tcp{"tcp", table, {}, {}};
  ServiceCompiler<model::UdpService> udp{"udp", table, {}, {}};
  for (const auto& [provider, config] : providers) {
    tcp.load_balancers(provider, config.tcp_services, transport);
    udp.load_balancers(provider, config.udp_services, no_transport);
  }
  for (const auto& [provider, config] : providers) {
    tcp.weighted(provider, config.tcp_services);
    udp.weighted(provider, config.udp_services);
  }
  for (auto& [name, s] : tcp.done) table.tcp_services.push_back(std::move(s));
  for (auto& [name, s] : udp.done) table.udp_services.push_back(std::move(s));

  for (const auto& [provider, config] : providers) {
    std::set<std::string> seen;
    for (const auto& r : config.tcp_routers) {
      model::TcpRouter out;
      out.name = qualify(r.name, provider);
      out.service = qualify(r.service, provider);
      std::string why = name_problem(r.name, seen);
      if (why.empty() && !r.errors.empty()) why = join_errors(r.errors);
      if (why.empty() && !r.middlewares.empty()) {
        why = "uses TCP middlewares (" + text::join(r.middlewares, ", ") +
              "), which Wharf does not support; the router is not served without them";
      }
      if (why.empty()) why = tcp.use(out.service);
      if (why.empty()) {
        auto rule = rules::parse_tcp(r.rule);
        if (!rule) {
          why = "rule: " + rule.error();
        } else if (auto sni = needs_tls(*rule); !sni.empty() && !r.tls) {
          why = "rule: " + sni + " reads the TLS ClientHello, so the router needs tls (set " +
                "tls.passthrough=true to pass TLS on, or tls=true to terminate it)";
        }
      }
      if (why.empty() && r.tls && !r.passthrough && !r.tls_options.empty()) {
        const std::string options = qualify(r.tls_options, provider);
        if (rejected_tls_options.count(options)) {
          why = "uses TLS options " + options + ", which were rejected";
        } else if (!tls_options.count(options)) {
          why = "uses TLS options " + options + ", which do not exist";
        }
        out.tls_options = options;
      }
      if (!why.empty()) {
        table.diagnostics.push_back({"tcp router", out.name, why});
        continue;
      }
      if (r.passthrough && (!r.tls_options.empty() || !r.cert_resolver.empty())) {
        table.diagnostics.push_back(
            {"tcp router", out.name,
             "tls.passthrough leaves TLS to the servers; its TLS options and certificate "
             "resolver are not used",
             true});
      }
      out.rule = r.rule;
      out.priority = r.priority;
      out.entrypoints = r.entrypoints;
      out.tls = !r.tls ? "" : r.passthrough ? "passthrough" : "terminate";
      table.tcp_routers.push_back(std::move(out));
    }
    seen.clear();
    for (const auto& r : config.udp_routers) {
      model::UdpRouter out;
      out.name = qualify(r.name, provider);
      out.service = qualify(r.service, provider);
      std::string why = name_problem(r.name, seen);
      if (why.empty() && !r.errors.empty()) why = join_errors(r.errors);
      if (why.empty()) why = udp.use(out.service);
      if (!why.empty()) {
        table.diagnostics.push_back({"udp router", out.name, why});
        continue;
      }
      out.entrypoints = r.entrypoints;
      table.udp_routers.push_back(std::move(out));
    }
  }
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(table.tcp_routers.begin(), table.tcp_routers.end(), by_name);
  std::sort(table.udp_routers.begin(), table.udp_routers.end(), by_name);
}

}  // namespace wharf::controller::compiler
