#include "controller/file/stream_sections.hpp"

#include "controller/file/router_section.hpp"
#include "controller/provider/stream_options.hpp"
#include "text/duration.hpp"

namespace wharf::controller::file {
namespace {

using model::ConfigStreamService;

void read_servers(ConfigStreamService& s, const YAML::Node& v, const std::string& where,
                  const Where& w) {
  auto bad = [&](const YAML::Node& at, const std::string& why) {
    s.errors.push_back(w.at(at, where + ".servers: " + why));
  };
  if (!v.IsSequence()) {
    bad(v, "expected a list of {address: host:port}");
    return;
  }
  for (const auto& srv : v) {
    std::string address;
    bool ok = srv.IsMap();
    for (const auto& f : ok ? YAML::Node(srv) : YAML::Node()) {
      const auto fk = lower(f.first.Scalar());
      if (fk == "address") {
        ok = scalar(f.second, address);
      } else if (fk == "tls") {
        bool tls = false;
        ok = boolean(f.second, tls);
        if (ok && tls) {
          bad(f.second,
              "tls: TLS towards TCP servers is not supported; let the server speak TLS "
              "behind a passthrough router, or reach it in clear text");
          return;
        }
      } else {
        ok = false;
      }
      if (!ok) break;
    }
    if (!ok || address.empty()) {
      bad(srv, "expected {address: host:port}");
      continue;
    }
    if (auto a = model::parse_stream_address(address); !a) {
      bad(srv, a.error());
      continue;
    }
    s.servers.push_back({address, 1});
  }
}

void read_weighted(ConfigStreamService& s, const YAML::Node& v, const std::string& where,
                   const Where& w) {
  const YAML::Node services = child(v, "services");
  if (!services.IsSequence() || services.size() == 0) {
    s.errors.push_back(w.at(v, where + ".services: expected a list of {name, weight}"));
    return;
  }
  for (const auto& one : services) {
    std::string name;
    std::int64_t weight = 1;
    const YAML::Node wn = child(one, "weight");
    if (!scalar(child(one, "name"), name) || name.empty() ||
        (wn && (!integer(wn, weight) || weight < 0 || weight > 1'000'000))) {
      s.errors.push_back(w.at(one, where + ".services: expected {name, weight} with a weight "
                                           "from 0 to 1000000"));
      return;
    }
    s.weighted.emplace_back(name, static_cast<std::uint32_t>(weight));
  }
}

ConfigStreamService read_service(const YAML::Node& key, const YAML::Node& node,
                                 const std::string& protocol, const Where& w) {
  ConfigStreamService s;
  s.name = key.Scalar();
  s.source = w.source(key);
  const std::string where = protocol + ".services." + s.name;
  if (!node.IsMap() || node.size() != 1) {
    s.errors.push_back(w.at(node, where + ": expected exactly one of loadBalancer, weighted"));
    return s;
  }
  // Copies, not references: the iterator's pair is a temporary.
  const YAML::Node key_node = node.begin()->first, body = node.begin()->second;
  const auto kind = lower(key_node.Scalar());
  if (kind == "weighted") {
    read_weighted(s, body, where + ".weighted", w);
    return s;
  }
  if (kind != "loadbalancer" || !body.IsMap()) {
    s.errors.push_back(w.at(key_node, where + ": expected exactly one of loadBalancer, weighted"));
    return s;
  }
  const auto proto = protocol == "tcp" ? StreamProtocol::kTcp : StreamProtocol::kUdp;
  for (const auto& kv : body) {
    const auto k = lower(kv.first.Scalar());
    if (k == "servers") {
      read_servers(s, kv.second, where + ".loadBalancer", w);
      continue;
    }
    std::vector<std::pair<std::string, std::string>> options;
    flatten(kv.second, "loadbalancer." + k, options);
    for (const auto& [option, value] : options) {
      auto why = stream_service_option(s, option, value, proto);
      if (!why || !why->empty()) {
        // "loadbalancer.x.y" is reported as the file spells the section: loadBalancer.x.y.
        s.errors.push_back(w.at(kv.second, where + ".loadBalancer." + option.substr(13) + ": " +
                                               (why ? *why : "unknown load balancer option")));
      }
    }
  }
  return s;
}

model::ConfigUdpRouter read_udp_router(const YAML::Node& key, const YAML::Node& node,
                                       const Where& w) {
  model::ConfigUdpRouter r;
  r.name = key.Scalar();
  r.source = w.source(key);
  const std::string where = "udp.routers." + r.name;
  if (!node.IsMap()) {
    r.errors.push_back(w.at(node, where + ": expected a mapping"));
    return r;
  }
  for (const auto& kv : node) {
    std::vector<std::pair<std::string, std::string>> options;
    flatten(kv.second, lower(kv.first.Scalar()), options);
    for (const auto& [k, value] : options) {
      auto why = udp_router_option(r, k, value);
      if (!why || !why->empty()) {
        r.errors.push_back(w.at(kv.second, where + "." + kv.first.Scalar() + ": " +
                                               (why ? *why : "unknown UDP router option")));
      }
    }
  }
  if (r.service.empty() && r.errors.empty()) {
    r.errors.push_back(w.at(key, where + ": missing service"));
  }
  return r;
}

model::ConfigTcpTransport read_tcp_transport(const YAML::Node& key, const YAML::Node& node,
                                             const Where& w) {
  model::ConfigTcpTransport t;
  t.name = key.Scalar();
  t.source = w.source(key);
  const std::string where = "tcp.serversTransports." + t.name;
  if (!node.IsMap()) {
    t.errors.push_back(w.at(node, where + ": expected a mapping"));
    return t;
  }
  for (const auto& kv : node) {
    const auto k = lower(kv.first.Scalar());
    const std::string field = where + "." + kv.first.Scalar();
    std::string text;
    if (k == "proxyprotocol") {
      std::int64_t version = 0;
      const YAML::Node v = child(kv.second, "version");
      if (!integer(v, version) || version < 1 || version > 2) {
        t.errors.push_back(w.at(kv.second, field + ".version: expected 1 or 2"));
      } else {
        t.proxy_protocol = static_cast<std::uint32_t>(version);
      }
    } else if (k == "dialtimeout" || k == "dialkeepalive" || k == "terminationdelay") {
      auto ms = scalar(kv.second, text) ? text::parse_duration_ms(text) : std::nullopt;
      if (!ms || *ms > 0xffffffffULL) {
        t.errors.push_back(w.at(kv.second, field + ": expected a duration such as 30s"));
      } else if (k == "dialtimeout") {
        t.dial_timeout_ms = static_cast<std::uint32_t>(*ms);
      }
    } else if (k == "tls") {
      t.errors.push_back(w.at(kv.second, field + ": TLS towards TCP servers is not supported"));
    } else {
      t.errors.push_back(w.at(kv.first, field + ": unknown TCP servers transport option"));
    }
  }
  return t;
}

}  // namespace

void read_stream_sections(const YAML::Node& root, const Where& w, model::ProviderConfig& out) {
  for (const char* protocol : {"tcp", "udp"}) {
    const YAML::Node section = child(root, protocol);
    if (!section) continue;
    const std::string p = protocol;
    if (!section.IsMap()) {
      out.diagnostics.push_back({"file", p, w.at(section, p + ": expected a mapping")});
      continue;
    }
    for (const auto& kv : section) {
      const auto k = lower(kv.first.Scalar());
      const YAML::Node& v = kv.second;
      if (k == "routers" && p == "tcp") {
        each_named(v, "tcp.routers", w, out, [&](const YAML::Node& n, const YAML::Node& body) {
          out.tcp_routers.push_back(read_router(n, body, w, RouterKind::kTcp));
        });
      } else if (k == "routers") {
        each_named(v, "udp.routers", w, out, [&](const YAML::Node& n, const YAML::Node& body) {
          out.udp_routers.push_back(read_udp_router(n, body, w));
        });
      } else if (k == "services") {
        auto& into = p == "tcp" ? out.tcp_services : out.udp_services;
        each_named(v, p + ".services", w, out, [&](const YAML::Node& n, const YAML::Node& body) {
          into.push_back(read_service(n, body, p, w));
        });
      } else if (k == "serverstransports" && p == "tcp") {
        each_named(v, "tcp.serversTransports", w, out,
                   [&](const YAML::Node& n, const YAML::Node& body) {
                     out.tcp_transports.push_back(read_tcp_transport(n, body, w));
                   });
      } else if (k == "middlewares" && p == "tcp") {
        out.diagnostics.push_back(
            {"file", "tcp.middlewares",
             w.at(kv.first,
                  "tcp.middlewares: TCP middlewares are not supported; section "
                  "ignored (a TCP router naming one is not served)")});
      } else {
        out.diagnostics.push_back(
            {"file", p, w.at(kv.first, p + "." + kv.first.Scalar() + ": unknown section")});
      }
    }
  }
}

}  // namespace wharf::controller::file
