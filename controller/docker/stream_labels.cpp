#include "controller/docker/stream_labels.hpp"

#include "controller/provider/router_options.hpp"
#include "controller/provider/stream_options.hpp"
#include "model/ip.hpp"

namespace wharf::controller::docker {
namespace {

template <typename T>
T& named(std::map<std::string, T>& objects, const std::string& name, const std::string& source) {
  auto& o = objects[name];
  o.name = name;
  o.source = source;
  return o;
}

// The protocol's only service for a router naming none; several: the label to set.
template <typename Router, typename Service>
void pick_service(Router& r, const std::map<std::string, Service>& services,
                  const std::string& label) {
  if (!r.service.empty()) return;
  if (services.size() == 1) {
    r.service = services.begin()->first;
    return;
  }
  std::string names;
  for (const auto& [n, unused] : services) names += (names.empty() ? "" : ", ") + n;
  r.errors.push_back("router " + r.name + " has no service label and the container defines " +
                     "several services (" + names + "); set " + label);
}

std::string address_text(const std::string& ip, std::uint16_t port) {
  const bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

void fill_servers(std::map<std::string, model::ConfigStreamService>& services,
                  const std::string& protocol, const StreamLabels& sl, const std::string& prefix,
                  bool serving, const std::vector<std::uint16_t>& exposed,
                  const AddressOf& address_of) {
  for (auto& [name, s] : services) {
    if (!s.weighted.empty()) continue;
    const auto it = sl.ports.find(protocol + "/" + name);
    const auto port = service_port(it == sl.ports.end() ? nullptr : it->second, exposed);
    if (!port) {
      s.errors.push_back(port.error());
      continue;
    }
    if (*port == 0) {
      s.errors.push_back("the container exposes no " +
                         std::string(protocol == "tcp" ? "TCP" : "UDP") + " port; set the label " +
                         prefix + "." + protocol + ".services." + name +
                         ".loadbalancer.server.port");
      continue;
    }
    if (!serving) continue;
    auto ip = address_of();
    if (!ip) {
      s.errors.push_back(ip.error());
      continue;
    }
    if (!model::IpAddress::parse(*ip)) {
      s.errors.push_back("'" + *ip + "' is not an IP address");
      continue;
    }
    s.servers.push_back({address_text(*ip, *port), 1});
  }
}

}  // namespace

void read_stream_label(const Label& l, const std::string& source, StreamLabels& out,
                       std::vector<std::string>& unknown) {
  const auto& p = l.path;
  const bool tcp = p[0] == "tcp";
  if (p.size() >= 4 && p[1] == "routers") {
    const std::string opt = join_path(p, 3);
    std::optional<std::string> why;
    std::vector<std::string>* errors = nullptr;
    if (tcp) {
      auto& r = named(out.tcp_routers, p[2], source);
      why = router_option(r, opt, l.value, RouterKind::kTcp);
      errors = &r.errors;
    } else {
      auto& r = named(out.udp_routers, p[2], source);
      why = udp_router_option(r, opt, l.value);
      errors = &r.errors;
    }
    if (!why) {
      errors->push_back(label_error(l, "unknown " + p[0] + " router option '" + opt + "'"));
    } else if (!why->empty()) {
      errors->push_back(label_error(l, *why));
    }
  } else if (p.size() >= 4 && p[1] == "services") {
    auto& s = named(tcp ? out.tcp_services : out.udp_services, p[2], source);
    const std::string opt = join_path(p, 3);
    if (opt == "loadbalancer.server.port") {
      out.ports[p[0] + "/" + p[2]] = &l;
      return;
    }
    auto why =
        stream_service_option(s, opt, l.value, tcp ? StreamProtocol::kTcp : StreamProtocol::kUdp);
    if (!why) {
      s.errors.push_back(label_error(l, "unknown " + p[0] + " service option '" + opt + "'"));
    } else if (!why->empty()) {
      s.errors.push_back(label_error(l, *why));
    }
  } else if (p.size() >= 3 && p[1] == "middlewares") {
    unknown.push_back(label_error(l, "TCP middlewares are not supported; label ignored"));
  } else {
    unknown.push_back(label_error(l, "unknown label"));
  }
}

void link_stream_labels(StreamLabels& sl, const std::string& default_name,
                        const std::string& prefix, bool serving,
                        const std::vector<std::uint16_t>& tcp_ports,
                        const std::vector<std::uint16_t>& udp_ports, const AddressOf& address_of) {
  if (!sl.tcp_routers.empty() && sl.tcp_services.empty()) {
    named(sl.tcp_services, default_name, sl.tcp_routers.begin()->second.source);
  }
  if (!sl.udp_routers.empty() && sl.udp_services.empty()) {
    named(sl.udp_services, default_name, sl.udp_routers.begin()->second.source);
  }
  for (auto& [name, r] : sl.tcp_routers) {
    for (const auto& why : router_options_problems(r)) {
      r.errors.push_back("router " + name + ": " + why);
    }
    if (r.rule.empty()) {
      r.errors.push_back("router " + name + " has no rule (TCP routers have no default one); set " +
                         prefix + ".tcp.routers." + name + ".rule, such as HostSNI(`*`)");
    }
    pick_service(r, sl.tcp_services, prefix + ".tcp.routers." + name + ".service");
  }
  for (auto& [name, r] : sl.udp_routers) {
    pick_service(r, sl.udp_services, prefix + ".udp.routers." + name + ".service");
  }
  fill_servers(sl.tcp_services, "tcp", sl, prefix, serving, tcp_ports, address_of);
  fill_servers(sl.udp_services, "udp", sl, prefix, serving, udp_ports, address_of);
}

}  // namespace wharf::controller::docker
