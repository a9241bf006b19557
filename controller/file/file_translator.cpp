#include "controller/file/file_translator.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>

#include <yaml-cpp/yaml.h>

#include "controller/provider/service_options.hpp"
#include "controller/tls/key_pair.hpp"
#include "rules/parser.hpp"

namespace wharf::controller::file {
namespace {

using model::ConfigMiddleware;
using model::ConfigRouter;
using model::ConfigService;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Error text with the file and 1-based line of the node it is about.
class Where {
 public:
  explicit Where(std::string_view file) : file_(file) {}
  std::string at(const YAML::Node& n, const std::string& what) const {
    return file_ + ":" + std::to_string(n.Mark().line + 1) + ": " + what;
  }
  std::string source(const YAML::Node& n) const {
    return file_ + ":" + std::to_string(n.Mark().line + 1);
  }

 private:
  std::string file_;
};

// Scalars convert without exceptions: yaml-cpp's as<T>() throws on a mismatch, and a typo in a
// user's file is input, not a bug.
bool scalar(const YAML::Node& n, std::string& out) {
  if (!n.IsScalar()) return false;
  out = n.Scalar();
  return true;
}

bool boolean(const YAML::Node& n, bool& out) {
  std::string s;
  if (!scalar(n, s)) return false;
  s = lower(s);
  if (s == "true")
    out = true;
  else if (s == "false")
    out = false;
  else
    return false;
  return true;
}

bool integer(const YAML::Node& n, std::int64_t& out) {
  std::string s;
  if (!scalar(n, s) || s.empty()) return false;
  std::size_t used = 0;
  try {
    out = std::stoll(s, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == s.size();
}

bool string_list(const YAML::Node& n, std::vector<std::string>& out) {
  if (!n.IsSequence()) return false;
  for (const auto& item : n) {
    std::string s;
    if (!scalar(item, s)) return false;
    out.push_back(s);
  }
  return true;
}

ConfigRouter read_router(const YAML::Node& key, const YAML::Node& node, const Where& w) {
  const std::string name = key.Scalar();
  ConfigRouter r;
  r.name = name;
  r.source = w.source(key);
  if (!node.IsMap()) {
    r.errors.push_back(w.at(node, "router " + name + ": expected a mapping"));
    return r;
  }
  for (const auto& kv : node) {
    const auto key = lower(kv.first.Scalar());
    const YAML::Node& v = kv.second;
    auto bad = [&](const std::string& why) {
      r.errors.push_back(w.at(v, "http.routers." + name + "." + kv.first.Scalar() + ": " + why));
    };
    if (key == "rule") {
      if (!scalar(v, r.rule)) {
        bad("expected a string");
      } else if (auto parsed = rules::parse(r.rule); !parsed) {
        bad(parsed.error());
      }
    } else if (key == "entrypoints") {
      if (!string_list(v, r.entrypoints)) bad("expected a list of entrypoint names");
    } else if (key == "middlewares") {
      if (!string_list(v, r.middlewares)) bad("expected a list of middleware names");
    } else if (key == "service") {
      if (!scalar(v, r.service)) bad("expected a string");
    } else if (key == "priority") {
      if (!integer(v, r.priority)) bad("expected an integer");
    } else if (key == "tls") {
      r.tls = true;
      if (v.IsMap()) {
        for (const auto& t : v) {
          if (lower(t.first.Scalar()) == "certresolver") scalar(t.second, r.cert_resolver);
        }
      } else if (!v.IsNull()) {
        bad("expected a mapping (use tls: {} for the default certificate)");
      }
    } else if (key == "rulesyntax") {
      std::string s;
      if (!scalar(v, s) || s != "v3") bad("only the v3 rule syntax is supported");
    } else if (key != "observability") {
      bad("unknown router option");
    }
  }
  if (r.rule.empty() && r.errors.empty())
    r.errors.push_back(w.at(key, "http.routers." + name + ": missing rule"));
  if (r.service.empty() && r.errors.empty())
    r.errors.push_back(w.at(key, "http.routers." + name + ": missing service"));
  return r;
}

void flatten(const YAML::Node& n, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out);

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
    } else if (key != "responseforwarding" && key != "serverstransport") {
      bad(v, kv.first.Scalar(), "unknown load balancer option");
    }
  }
}

ConfigService read_service(const YAML::Node& key, const YAML::Node& node, const Where& w) {
  const std::string name = key.Scalar();
  ConfigService s;
  s.name = name;
  s.source = w.source(key);
  if (!node.IsMap() || node.size() != 1) {
    s.errors.push_back(
        w.at(node, "http.services." + name +
                       ": expected exactly one of loadBalancer, weighted, mirroring, failover"));
    return s;
  }
  auto kv = *node.begin();
  auto kind = lower(kv.first.Scalar());
  if (kind == "loadbalancer") {
    read_load_balancer(s, kv.second, w);
  } else {
    s.errors.push_back(w.at(kv.first, "http.services." + name + "." + kv.first.Scalar() +
                                          ": only loadBalancer services are supported"));
  }
  return s;
}

// Flattens a middleware's options to lower-cased dotted paths; lists become comma-separated
// values, the form labels use.
void flatten(const YAML::Node& n, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n)
      flatten(kv.second,
              path.empty() ? lower(kv.first.Scalar()) : path + "." + lower(kv.first.Scalar()), out);
  } else if (n.IsSequence()) {
    std::string joined;
    bool scalars = true;
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (n[i].IsScalar()) {
        joined += (joined.empty() ? "" : ",") + n[i].Scalar();
      } else {
        scalars = false;
        flatten(n[i], path + "[" + std::to_string(i) + "]", out);
      }
    }
    if (scalars) out.emplace_back(path, joined);
  } else if (n.IsScalar()) {
    out.emplace_back(path, n.Scalar());
  }
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

template <typename Fn>
void each_named(const YAML::Node& section, const std::string& what, const Where& w,
                model::ProviderConfig& out, Fn fn) {
  if (!section) return;
  if (!section.IsMap()) {
    out.diagnostics.push_back(
        {"file", what, w.at(section, what + ": expected a mapping of names")});
    return;
  }
  for (const auto& kv : section) fn(kv.first, kv.second);
}

YAML::Node child(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : map) {
    if (lower(kv.first.Scalar()) == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// A certificate entry: certFile and keyFile, each a path or (as Traefik allows) the PEM itself,
// checked as a pair here so a bad one is reported with its line and leaves the rest alone.
// `field` names it in messages ("tls.certificates[2]"); `stores` is accepted where Traefik has it.
model::ConfigCertificate read_pair(const YAML::Node& node, const std::string& field,
                                   bool with_stores, const Where& w, const FileReader& read) {
  model::ConfigCertificate c;
  c.source = w.source(node);
  auto bad = [&](const std::string& why) { c.errors.push_back(w.at(node, field + why)); };
  std::string cert_ref, key_ref;
  if (!node.IsMap()) {
    bad(": expected a mapping with certFile and keyFile");
    return c;
  }
  for (const auto& kv : node) {
    const auto key = lower(kv.first.Scalar());
    if (key == "certfile") {
      scalar(kv.second, cert_ref);
    } else if (key == "keyfile") {
      scalar(kv.second, key_ref);
    } else if (key == "stores" && with_stores) {
      std::vector<std::string> stores;
      if (!string_list(kv.second, stores) ||
          std::any_of(stores.begin(), stores.end(), [](auto& s) { return s != "default"; })) {
        c.errors.push_back(w.at(kv.second, field + ".stores: only the default store exists"));
      }
    } else {
      c.errors.push_back(w.at(kv.first, field + "." + kv.first.Scalar() +
                                            ": unknown option (expected certFile, keyFile" +
                                            (with_stores ? ", stores)" : ")")));
    }
  }
  if (cert_ref.empty() || key_ref.empty()) bad(": certFile and keyFile are both required");
  if (!c.errors.empty()) return c;
  auto load = [&](const std::string& ref, const char* what, std::string& pem) {
    if (ref.starts_with("-----BEGIN")) {
      pem = ref;
      return std::string(what) + " (inline)";
    }
    if (auto text = read(ref)) {
      pem = std::move(*text);
    } else {
      bad(std::string(".") + what + " " + ref + ": cannot be read");
    }
    return std::string(what) + " " + ref;
  };
  auto cert_what = load(cert_ref, "certFile", c.cert_pem);
  auto key_what = load(key_ref, "keyFile", c.key_pem);
  if (c.errors.empty()) {
    auto info = tls::check_key_pair(c.cert_pem, c.key_pem, cert_what, key_what);
    if (!info) {
      bad(": " + info.error());
    } else {
      // Selected by the names the certificate itself carries, as Traefik does.
      std::copy_if(info->dns_names.begin(), info->dns_names.end(), std::back_inserter(c.domains),
                   tls::is_server_name);
    }
  }
  if (!c.errors.empty()) c.cert_pem.clear(), c.key_pem.clear();
  return c;
}

// tls.certificates (a list) and tls.stores.default.defaultCertificate.
void read_tls(const YAML::Node& tls, const Where& w, const FileReader& read,
              model::ProviderConfig& out) {
  if (!tls || tls.IsNull()) return;
  if (!tls.IsMap()) {
    out.diagnostics.push_back({"file", "tls", w.at(tls, "tls: expected a mapping")});
    return;
  }
  for (const auto& kv : tls) {
    const auto key = lower(kv.first.Scalar());
    const YAML::Node& v = kv.second;
    if (key == "certificates") {
      if (!v.IsSequence()) {
        out.diagnostics.push_back(
            {"file", "tls.certificates", w.at(v, "tls.certificates: expected a list")});
        continue;
      }
      for (std::size_t i = 0; i < v.size(); ++i) {
        auto c = read_pair(v[i], "tls.certificates[" + std::to_string(i) + "]", true, w, read);
        c.name = "certificate-" + std::to_string(i);
        if (c.errors.empty() && c.domains.empty()) {
          c.errors.push_back(w.at(v[i], "tls.certificates[" + std::to_string(i) +
                                            "]: the certificate names no DNS host "
                                            "(subjectAltName or CN)"));
        }
        out.certificates.push_back(std::move(c));
      }
    } else if (key == "stores") {
      for (const auto& store : v.IsMap() ? v : YAML::Node(YAML::NodeType::Map)) {
        const std::string field = "tls.stores." + store.first.Scalar();
        if (store.first.Scalar() != "default") {
          out.diagnostics.push_back(
              {"file", field, w.at(store.first, field + ": only the default store exists")});
          continue;
        }
        for (const auto& opt :
             store.second.IsMap() ? store.second : YAML::Node(YAML::NodeType::Map)) {
          if (lower(opt.first.Scalar()) == "defaultcertificate") {
            auto c = read_pair(opt.second, field + ".defaultCertificate", false, w, read);
            c.name = "default-certificate";
            c.is_default = true;
            out.certificates.push_back(std::move(c));
          } else {
            out.diagnostics.push_back(
                {"file", field,
                 w.at(opt.first, field + "." + opt.first.Scalar() +
                                     ": not supported (defaultCertificate is)")});
          }
        }
      }
    } else {
      out.diagnostics.push_back(
          {"file", "tls." + kv.first.Scalar(),
           w.at(kv.first, "tls." + kv.first.Scalar() +
                              ": not supported yet (tls.certificates and tls.stores are); "
                              "section ignored")});
    }
  }
}

}  // namespace

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

model::Result<model::ProviderConfig> translate(std::string_view yaml, std::string_view name,
                                               const FileReader& read) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return model::Error{std::string(name) + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1) + ": " + e.msg};
  }
  model::ProviderConfig out;
  if (root.IsNull()) return out;  // An empty file is an empty configuration.
  if (!root.IsMap()) return model::Error{std::string(name) + ": expected a mapping at the top"};
  Where w(name);
  for (const auto& kv : root) {
    auto key = lower(kv.first.Scalar());
    if (key == "tcp" || key == "udp") {
      out.diagnostics.push_back(
          {"file", key,
           w.at(kv.second, key + ": TCP and UDP routing is not supported; section ignored")});
    } else if (key != "http" && key != "tls") {
      out.diagnostics.push_back(
          {"file", key, w.at(kv.first, "unknown top-level section '" + kv.first.Scalar() + "'")});
    }
  }
  const YAML::Node http = child(root, "http");
  each_named(child(http, "routers"), "http.routers", w, out,
             [&](const YAML::Node& n, const YAML::Node& v) {
               out.routers.push_back(read_router(n, v, w));
             });
  each_named(child(http, "services"), "http.services", w, out,
             [&](const YAML::Node& n, const YAML::Node& v) {
               out.services.push_back(read_service(n, v, w));
             });
  each_named(child(http, "middlewares"), "http.middlewares", w, out,
             [&](const YAML::Node& n, const YAML::Node& v) {
               out.middlewares.push_back(read_middleware(n, v, w));
             });
  read_tls(child(root, "tls"), w, read, out);
  return out;
}

}  // namespace wharf::controller::file
