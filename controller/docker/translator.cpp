#include "controller/docker/translator.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "controller/docker/labels.hpp"
#include "controller/docker/stream_labels.hpp"
#include "controller/provider/middleware_types.hpp"
#include "controller/provider/router_options.hpp"
#include "controller/provider/service_options.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::docker {
namespace {

using model::ConfigMiddleware;
using model::ConfigRouter;
using model::ConfigService;

void read_bool(const Label& l, bool& field, std::vector<std::string>& errors) {
  auto b = parse_bool(l.value);
  if (b) {
    field = *b;
  } else {
    errors.push_back(label_error(l, b.error()));
  }
}

// One container's routers, services and middlewares as its labels describe them.
struct ContainerConfig {
  std::map<std::string, ConfigRouter> routers;
  std::map<std::string, ConfigService> services;
  std::map<std::string, ConfigMiddleware> middlewares;
  std::map<std::string, const Label*> port_labels;  // Service name → its server.port label.
  std::map<std::string, std::string> schemes;       // Service → server.scheme (https, h2c).
  std::string network;
  const Label* network_label = nullptr;
  StreamLabels streams;  // tcp.* and udp.*
  std::vector<model::Diagnostic> diagnostics;
};

void service_option(ConfigService& s, const Label& l, const std::string& opt, ContainerConfig& cc) {
  if (opt == "server.port") {
    cc.port_labels[s.name] = &l;
  } else if (opt == "server.scheme") {
    // h2c: HTTP/2 in clear text with prior knowledge, as gRPC servers speak it.
    if (l.value == "https" || l.value == "h2c" || l.value == "http") {
      cc.schemes[s.name] = l.value;
    } else {
      s.errors.push_back(label_error(l, "expected http, https or h2c"));
    }
  } else if (opt == "serverstransport") {
    // Transports are defined in the file provider (labels cannot carry CA files): name one
    // as `name@file`.
    s.transport = l.value;
  } else if (opt == "passhostheader") {
    read_bool(l, s.pass_host_header, s.errors);
  } else if (auto why = load_balancer_option(s, opt, l.value)) {
    if (!why->empty()) s.errors.push_back(label_error(l, *why));
  } else if (opt.starts_with("responseforwarding.") || opt == "server.weight") {
    // Accepted so existing Traefik labels keep their routers; not acted on yet
    // (docs/controller.md lists them).
  } else {
    s.errors.push_back(label_error(l, "unknown load balancer option '" + opt + "'"));
  }
}

ContainerConfig read_labels(const Container& c, const std::vector<Label>& labels) {
  ContainerConfig cc;
  const std::string source = "container " + c.name;
  auto diag = [&](const Label& l, const std::string& why) {
    cc.diagnostics.push_back({"container", c.name, label_error(l, why)});
  };
  for (const auto& l : labels) {
    const auto& p = l.path;
    if (p.size() == 1 && p[0] == "enable") continue;
    if (p.size() == 2 && p[0] == "docker" && p[1] == "network") {
      cc.network = l.value;
      cc.network_label = &l;
    } else if (p.size() >= 4 && p[0] == "http" && p[1] == "routers") {
      auto& r = cc.routers[p[2]];
      r.name = p[2];
      r.source = source;
      const std::string opt = join_path(p, 3);
      auto why = router_option(r, opt, l.value);
      if (!why) {
        r.errors.push_back(label_error(l, "unknown router option '" + opt + "'"));
      } else if (!why->empty()) {
        r.errors.push_back(label_error(l, *why));
      }
    } else if (p.size() >= 3 && p[0] == "http" && p[1] == "services") {
      auto& s = cc.services[p[2]];
      s.name = p[2];
      s.source = source;
      if (p.size() >= 5 && p[3] == "loadbalancer") {
        service_option(s, l, join_path(p, 4), cc);
      } else if (p.size() == 4 && p[3] == "middlewares") {
        s.middlewares = text::split_list(l.value);  // Traefik v3.7's service middlewares.
      } else {
        s.errors.push_back(label_error(l, "only loadbalancer services can be set with labels"));
      }
    } else if (p.size() >= 4 && p[0] == "http" && p[1] == "middlewares") {
      auto& m = cc.middlewares[p[2]];
      m.name = p[2];
      m.source = source;
      if (!is_traefik_middleware_type(p[3])) {
        m.errors.push_back(label_error(l, "unknown middleware type '" + p[3] + "'"));
      } else if (!m.type.empty() && m.type != p[3]) {
        m.errors.push_back(label_error(l, "middleware already has type '" + m.type + "'"));
      } else {
        m.type = p[3];
        if (p.size() > 4) m.options.emplace_back(join_path(p, 4), l.value);
      }
    } else if (!p.empty() && (p[0] == "tcp" || p[0] == "udp")) {
      std::vector<std::string> unknown;
      read_stream_label(l, source, cc.streams, unknown);
      for (auto& why : unknown) cc.diagnostics.push_back({"container", c.name, std::move(why)});
    } else if (p.size() == 1 || (!p.empty() && (p[0] == "frontend" || p[0] == "backend"))) {
      // Traefik v1's labels (traefik.port, traefik.frontend.rule, ...) linger in many compose
      // files; Traefik v3 reads nothing from them, and neither does Wharf.
      cc.diagnostics.push_back(
          {"container", c.name,
           label_error(l, "a Traefik v1 label, ignored (Traefik v3 ignores it too)"), true});
    } else {
      diag(l, "unknown label");
    }
  }
  return cc;
}

// The compose service name when the container came from compose, else its own name.
std::string service_name_of(const Container& c) {
  auto project = c.labels.find("com.docker.compose.project");
  auto service = c.labels.find("com.docker.compose.service");
  if (project != c.labels.end() && service != c.labels.end()) {
    return normalize_name(service->second + "_" + project->second);
  }
  return normalize_name(c.name);
}

// The label prefix a container's own labels use (traefik for Traefik's labels), so advice names
// the label the user would write.
std::string prefix_in_use(const Container& c, const TranslatorOptions& opt) {
  for (const auto& p : opt.label_prefixes) {
    for (const auto& [key, unused] : c.labels) {
      if (key.size() > p.size() && key.starts_with(p) && key[p.size()] == '.') return p;
    }
  }
  return opt.label_prefixes.front();
}

// Where the data plane reaches the container: 127.0.0.1 on the host network, else its address
// on the chosen network (label, then flag), else on its first network by name. A label naming
// a network the container is not on is a warning (in `cc`), and the first network is used.
model::Result<std::string> address_of(const Container& c, ContainerConfig& cc,
                                      const TranslatorOptions& opt) {
  if (c.network_mode == "host") return std::string("127.0.0.1");
  auto find = [&](const std::string& name) -> const std::string* {
    for (const auto& [n, ip] : c.networks) {
      if (n == name && !ip.empty()) return &ip;
    }
    return nullptr;
  };
  if (cc.network_label) {
    const std::string* ip = find(cc.network);
    if (!ip) {
      // Compose prefixes network names with the project; accept the short name too.
      auto project = c.labels.find("com.docker.compose.project");
      if (project != c.labels.end()) ip = find(project->second + "_" + cc.network);
    }
    if (ip) return *ip;
    // As Traefik does: warn, and reach the container on its first network.
    std::string names;
    for (const auto& [n, unused] : c.networks) names += (names.empty() ? "" : ", ") + n;
    for (const auto& [n, first] : c.networks) {
      if (first.empty()) continue;
      cc.diagnostics.push_back(
          {"container", c.name,
           label_error(*cc.network_label, "the container is not on that network (its networks: " +
                                              names + "); reached on " + n + ", as Traefik does"),
           true});
      return first;
    }
    return model::Error{
        label_error(*cc.network_label, "the container is not on that network (its networks: " +
                                           (names.empty() ? "none" : names) + ")")};
  }
  if (!opt.network.empty()) {
    if (const std::string* ip = find(opt.network)) return *ip;
  }
  for (const auto& [n, ip] : c.networks) {
    if (!ip.empty()) return ip;
  }
  return model::Error{"container " + c.name + " has no IP address on any network"};
}

void fill_servers(const Container& c, ContainerConfig& cc, const TranslatorOptions& opt) {
  for (auto& [name, s] : cc.services) {
    const auto it = cc.port_labels.find(name);
    const auto port =
        service_port(it == cc.port_labels.end() ? nullptr : it->second, c.exposed_tcp_ports);
    if (!port) {
      s.errors.push_back(port.error());
      continue;
    }
    if (*port == 0) {
      s.errors.push_back("container " + c.name + " exposes no TCP port; set the label " +
                         prefix_in_use(c, opt) + ".http.services." + name +
                         ".loadbalancer.server.port");
      continue;
    }
    if (!c.serving()) continue;  // Known but not serving: no servers, so 503.
    auto ip = address_of(c, cc, opt);
    if (!ip) {
      s.errors.push_back(ip.error());
      continue;
    }
    const auto scheme = cc.schemes.find(name);
    auto url =
        model::server_url_for_ip(*ip, *port, scheme == cc.schemes.end() ? "http" : scheme->second);
    if (!url) {
      s.errors.push_back("container " + c.name + ": '" + *ip + "' is not an IP address");
      continue;
    }
    s.servers.push_back({*url, 1});
  }
}

void link_routers(const Container& c, ContainerConfig& cc, const TranslatorOptions& opt) {
  const std::string default_name = service_name_of(c);
  if (cc.services.empty()) {
    auto& s = cc.services[default_name];
    s.name = default_name;
    s.source = "container " + c.name;
  }
  if (cc.routers.empty()) {
    if (cc.services.size() > 1) {
      cc.diagnostics.push_back({"container", c.name,
                                "no router labels and several services: add a router label "
                                "naming the service to route to"});
      return;
    }
    auto& r = cc.routers[default_name];
    r.name = default_name;
    r.source = "container " + c.name;
  }
  for (auto& [name, r] : cc.routers) {
    for (const auto& why : router_options_problems(r)) {
      r.errors.push_back("router " + name + ": " + why);
    }
    if (r.rule.empty()) {
      auto rule = expand_default_rule(opt.default_rule, default_name, c.labels);
      if (rule) {
        r.rule = *rule;
      } else {
        r.errors.push_back(rule.error());
      }
    }
    if (r.service.empty()) {
      if (cc.services.size() == 1) {
        r.service = cc.services.begin()->first;
      } else {
        std::string names;
        for (const auto& [n, unused] : cc.services) names += (names.empty() ? "" : ", ") + n;
        r.errors.push_back("router " + name +
                           " has no service label and the container defines "
                           "several services (" +
                           names + "); set " + prefix_in_use(c, opt) + ".http.routers." + name +
                           ".service");
      }
    }
  }
}

// Containers defining the same object: identical definitions merge (servers add up),
// different ones reject the object with a reason naming both containers.
template <typename T>
void merge(std::map<std::string, T>& into, T obj) {
  auto [it, fresh] = into.try_emplace(obj.name, obj);
  if (fresh) return;
  T& have = it->second;
  T a = have, b = obj;
  if constexpr (requires { a.servers.clear(); }) {
    a.servers.clear();
    b.servers.clear();
  }
  a.source = b.source = "";
  a.errors.clear();
  b.errors.clear();
  if (!(a == b)) {
    have.errors.push_back("defined differently by " + have.source + " and " + obj.source);
    return;
  }
  if constexpr (requires {
                  have.servers.insert(have.servers.end(), obj.servers.begin(), obj.servers.end());
                }) {
    have.servers.insert(have.servers.end(), obj.servers.begin(), obj.servers.end());
  }
  have.errors.insert(have.errors.end(), obj.errors.begin(), obj.errors.end());
}

}  // namespace

model::Status set_constraints(TranslatorOptions& options, std::string_view expression) {
  auto c = Constraints::parse(expression);
  if (!c) return model::Error{c.error()};
  options.constraints = std::move(*c);
  return model::kOk;
}

bool wants_routing(const std::map<std::string, std::string>& labels, const TranslatorOptions& opt) {
  if (opt.constraints && !opt.constraints->matches(labels)) return false;
  auto enable = enable_label(labels_under(labels, opt.label_prefixes));
  if (!enable) return true;
  return enable->value_or(opt.exposed_by_default);
}

model::ProviderConfig translate(const std::vector<Container>& containers,
                                const TranslatorOptions& options) {
  // Sorted by name so merged server lists and "defined differently" messages are stable.
  std::vector<const Container*> sorted;
  for (const auto& c : containers) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(),
            [](const Container* a, const Container* b) { return a->name < b->name; });

  std::map<std::string, ConfigRouter> routers;
  std::map<std::string, ConfigService> services;
  std::map<std::string, ConfigMiddleware> middlewares;
  StreamLabels streams;
  model::ProviderConfig out;
  for (const Container* c : sorted) {
    if (options.constraints && !options.constraints->matches(c->labels)) continue;
    auto labels = labels_under(c->labels, options.label_prefixes);
    auto enable = enable_label(labels);
    if (!enable) {
      out.diagnostics.push_back({"container", c->name, enable.error()});
      continue;
    }
    if (!enable->value_or(options.exposed_by_default)) continue;

    ContainerConfig cc = read_labels(*c, labels);
    // As Traefik: a container with TCP or UDP labels and no HTTP ones gets no default HTTP
    // router (Gitea's SSH port is not a web server).
    if (cc.streams.empty() || !cc.routers.empty() || !cc.services.empty() ||
        !cc.middlewares.empty()) {
      link_routers(*c, cc, options);
      fill_servers(*c, cc, options);
    }
    link_stream_labels(cc.streams, service_name_of(*c), prefix_in_use(*c, options), c->serving(),
                       c->exposed_tcp_ports, c->exposed_udp_ports,
                       [&] { return address_of(*c, cc, options); });
    for (auto& [n, r] : cc.routers) merge(routers, std::move(r));
    for (auto& [n, s] : cc.services) merge(services, std::move(s));
    for (auto& [n, m] : cc.middlewares) merge(middlewares, std::move(m));
    for (auto& [n, r] : cc.streams.tcp_routers) merge(streams.tcp_routers, std::move(r));
    for (auto& [n, s] : cc.streams.tcp_services) merge(streams.tcp_services, std::move(s));
    for (auto& [n, r] : cc.streams.udp_routers) merge(streams.udp_routers, std::move(r));
    for (auto& [n, s] : cc.streams.udp_services) merge(streams.udp_services, std::move(s));
    for (auto& d : cc.diagnostics) out.diagnostics.push_back(std::move(d));
  }
  for (auto& [n, r] : routers) out.routers.push_back(std::move(r));
  for (auto& [n, s] : services) out.services.push_back(std::move(s));
  for (auto& [n, m] : middlewares) out.middlewares.push_back(std::move(m));
  for (auto& [n, r] : streams.tcp_routers) out.tcp_routers.push_back(std::move(r));
  for (auto& [n, s] : streams.tcp_services) out.tcp_services.push_back(std::move(s));
  for (auto& [n, r] : streams.udp_routers) out.udp_routers.push_back(std::move(r));
  for (auto& [n, s] : streams.udp_services) out.udp_services.push_back(std::move(s));
  return out;
}

}  // namespace wharf::controller::docker
