#include "controller/file/file_translator.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include <yaml-cpp/yaml.h>
#include <boost/regex.hpp>

#include "controller/file/router_section.hpp"
#include "controller/file/stream_sections.hpp"
#include "controller/file/tls_sections.hpp"
#include "controller/file/yaml_reading.hpp"
#include "controller/provider/middleware_files.hpp"
#include "controller/provider/service_options.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::file {
namespace {

using model::ConfigMiddleware;

bool is_static_section(const std::string& key) {
  static const std::set<std::string> kStatic = {"entrypoints",
                                                "providers",
                                                "api",
                                                "log",
                                                "accesslog",
                                                "metrics",
                                                "ping",
                                                "tracing",
                                                "certificatesresolvers",
                                                "serverstransport",
                                                "global",
                                                "experimental",
                                                "hostresolver",
                                                "spiffe",
                                                "core"};
  return kStatic.count(key) > 0;
}

// Traefik expands a dynamic file as a Go template (with sprig's functions) before reading it.
// The one action real files use is `{{ env "NAME" }}`, which is expanded here from the
// controller's environment (empty when unset, as sprig's env); any other action is refused,
// naming its line. Comment lines are left alone: an action there cannot change the file.
model::Result<std::string> expand_templates(std::string_view text, std::string_view name) {
  if (text.find("{{") == std::string_view::npos) return std::string(text);
  static const boost::regex kEnv(
      R"re(^\s*-?\s*env\s+(?:"([A-Za-z_][A-Za-z0-9_]*)"|`([A-Za-z_][A-Za-z0-9_]*)`)\s*-?\s*$)re");
  std::string out;
  out.reserve(text.size());
  int line = 1;
  for (std::size_t start = 0; start < text.size(); ++line) {
    auto end = text.find('\n', start);
    std::string_view l = text.substr(
        start, end == std::string_view::npos ? std::string_view::npos : end - start + 1);
    start = end == std::string_view::npos ? text.size() : end + 1;
    auto first = l.find_first_not_of(" \t");
    if (first != std::string_view::npos && l[first] == '#') {
      out.append(l);
      continue;
    }
    for (std::size_t at = 0;;) {
      auto open = l.find("{{", at);
      if (open == std::string_view::npos) {
        out.append(l.substr(at));
        break;
      }
      auto close = l.find("}}", open + 2);
      boost::match_results<std::string_view::const_iterator> m;
      const std::string_view action = close == std::string_view::npos
                                          ? l.substr(open + 2)
                                          : l.substr(open + 2, close - open - 2);
      if (close == std::string_view::npos ||
          !boost::regex_match(action.begin(), action.end(), m, kEnv)) {
        return model::Error{std::string(name) + ":" + std::to_string(line) +
                            ": Go template action {{" + std::string(action.substr(0, 40)) +
                            (close == std::string_view::npos ? "" : "}}") +
                            " is not expanded by Wharf (only {{ env \"NAME\" }} is); render the "
                            "file first and give Wharf the result"};
      }
      out.append(l.substr(at, open - at));
      const std::string var = m[1].matched ? m[1].str() : m[2].str();
      if (const char* v = std::getenv(var.c_str())) out.append(v);
      at = close + 2;
    }
  }
  return out;
}

using model::ConfigRouter;
using model::ConfigService;

void read_load_balancer(ConfigService& s, const YAML::Node& lb, const Where& w) {
  auto bad = [&](const YAML::Node& at, const std::string& key, const std::string& why) {
    s.errors.push_back(w.at(at, "http.services." + s.name + ".loadBalancer." + key + ": " + why));
  };
  if (!lb.IsMap()) {
    bad(lb, "", "expected a mapping");
    return;
  }
  for (const auto& kv : lb) {
    const auto key = lower(kv.first.Scalar());
    const YAML::Node& v = kv.second;
    if (key == "servers") {
      if (!v.IsSequence()) {
        bad(v, "servers", "expected a list of {url: ...}");
        continue;
      }
      for (const auto& srv : v) {
        model::Server server;
        bool ok = srv.IsMap();
        if (!ok) {
          bad(srv, "servers", "expected {url: http://host:port, weight: N}");
          continue;
        }
        for (const auto& f : srv) {
          auto fk = lower(f.first.Scalar());
          std::int64_t weight = 1;
          if (fk == "url") {
            ok = scalar(f.second, server.url);
          } else if (fk == "weight") {
            ok = integer(f.second, weight) && weight > 0 && weight <= 1'000'000;
            server.weight = static_cast<std::uint32_t>(weight);
          } else if (fk != "preservepath") {
            ok = false;
          }
          if (!ok) break;
        }
        if (!ok || server.url.empty()) {
          bad(srv, "servers", "expected {url: http://host:port, weight: N}");
        } else if (auto addr = model::parse_server_url(server.url); !addr) {
          bad(srv, "servers", addr.error());
        } else {
          s.servers.push_back(server);
        }
      }
    } else if (key == "passhostheader") {
      if (!boolean(v, s.pass_host_header)) bad(v, kv.first.Scalar(), "expected true or false");
    } else if (key == "strategy" || key == "sticky" || key == "healthcheck") {
      // Flattened the way labels spell them; `sticky: {cookie: {}}` turns stickiness on.
      std::vector<std::pair<std::string, std::string>> options;
      if (key == "sticky" && v.IsMap() && v["cookie"])
        options.emplace_back("sticky.cookie", "true");
      flatten(v, key, options);
      for (const auto& [k, value] : options) {
        auto why = load_balancer_option(s, k, value);
        if (!why) {
          bad(v, k, "unknown load balancer option");
        } else if (!why->empty()) {
          bad(v, k, *why);
        }
      }
    } else if (key == "serverstransport") {
      if (!scalar(v, s.transport)) bad(v, kv.first.Scalar(), "expected a servers transport name");
    } else if (key != "responseforwarding") {
      bad(v, kv.first.Scalar(), "unknown load balancer option");
    }
  }
}

ConfigService read_service(const YAML::Node& key, const YAML::Node& node, const Where& w) {
  const std::string name = key.Scalar();
  ConfigService s;
  s.name = name;
  s.source = w.source(key);
  // Beside its kind, a service may list middlewares (Traefik v3.7).
  const YAML::Node middlewares = child(node, "middlewares");
  if (middlewares && !string_list(middlewares, s.middlewares)) {
    s.errors.push_back(
        w.at(middlewares, "http.services." + name + ".middlewares: expected a list"));
  }
  const std::size_t kinds = node.IsMap() ? node.size() - (middlewares ? 1 : 0) : 0;
  if (!node.IsMap() || kinds != 1) {
    s.errors.push_back(
        w.at(node, "http.services." + name +
                       ": expected exactly one of loadBalancer, weighted, mirroring, failover"));
    return s;
  }
  for (const auto& kv : node) {
    auto kind = lower(kv.first.Scalar());
    if (kind == "middlewares") continue;
    if (kind == "loadbalancer") {
      read_load_balancer(s, kv.second, w);
    } else {
      s.errors.push_back(w.at(kv.first, "http.services." + name + "." + kv.first.Scalar() +
                                            ": only loadBalancer services are supported"));
    }
  }
  return s;
}

ConfigMiddleware read_middleware(const YAML::Node& key, const YAML::Node& node, const Where& w) {
  const std::string name = key.Scalar();
  ConfigMiddleware m;
  m.name = name;
  m.source = w.source(key);
  if (!node.IsMap() || node.size() != 1) {
    m.errors.push_back(
        w.at(node, "http.middlewares." + name + ": expected exactly one middleware type"));
    return m;
  }
  auto kv = *node.begin();
  m.type = lower(kv.first.Scalar());
  flatten(kv.second, "", m.options);
  return m;
}

}  // namespace

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

model::Result<model::ProviderConfig> translate(std::string_view text, std::string_view name,
                                               const FileReader& read) {
  auto expanded = expand_templates(text, name);
  if (!expanded) return model::Error{expanded.error()};
  auto doc = config::parse(*expanded, name, config::format_of(name));
  if (!doc) return model::Error{doc.error()};
  const YAML::Node& root = doc->root;
  const Where& w = doc->where;
  model::ProviderConfig out;
  if (root.IsNull()) return out;  // An empty file is an empty configuration.
  if (!root.IsMap()) return model::Error{std::string(name) + ": expected a mapping at the top"};
  for (const auto& kv : root) {
    auto key = lower(kv.first.Scalar());
    if (is_static_section(key)) {
      // Static options in a dynamic file (guides mix them): nothing dynamic is lost.
      out.diagnostics.push_back(
          {"file", key,
           w.at(kv.first, kv.first.Scalar() + ": belongs to the static configuration (give it with "
                                              "--configfile); ignored in a dynamic file"),
           true});
    } else if (key != "http" && key != "tls" && key != "tcp" && key != "udp") {
      out.diagnostics.push_back(
          {"file", key, w.at(kv.first, "unknown top-level section '" + kv.first.Scalar() + "'")});
    }
  }
  const YAML::Node http = child(root, "http");
  each_named(child(http, "routers"), "http.routers", w, out,
             [&](const YAML::Node& n, const YAML::Node& v) {
               out.routers.push_back(read_router(n, v, w, RouterKind::kHttp));
             });
  each_named(child(http, "services"), "http.services", w, out,
             [&](const YAML::Node& n, const YAML::Node& v) {
               out.services.push_back(read_service(n, v, w));
             });
  each_named(child(http, "middlewares"), "http.middlewares", w, out,
             [&](const YAML::Node& n, const YAML::Node& v) {
               out.middlewares.push_back(read_middleware(n, v, w));
             });
  read_servers_transports(child(http, "serverstransports"), w, read, out);
  read_tls(child(root, "tls"), w, read, out);
  read_stream_sections(root, w, out);
  inline_middleware_files(out, read);
  return out;
}

}  // namespace wharf::controller::file
