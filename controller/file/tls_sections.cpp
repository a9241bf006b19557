#include "controller/file/tls_sections.hpp"

#include <algorithm>
#include <iterator>

#include "controller/provider/service_options.hpp"
#include "controller/tls/key_pair.hpp"

namespace wharf::controller::file {
namespace {

// A file path, or (as Traefik allows) the PEM text itself; nothing when the path cannot be
// read. `what` becomes the name messages use.
std::optional<std::string> pem_or_file(const std::string& ref, const FileReader& read,
                                       const char* field, std::string& what) {
  if (ref.starts_with("-----BEGIN")) {
    what = std::string(field) + " (inline)";
    return ref;
  }
  what = std::string(field) + " " + ref;
  return read(ref);
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

}  // namespace

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

void read_servers_transports(const YAML::Node& section, const Where& w, const FileReader& read,
                             model::ProviderConfig& out) {
  each_named(
      section, "http.serversTransports", w, out,
      [&](const YAML::Node& key, const YAML::Node& node) {
        model::ConfigTransport t;
        t.name = key.Scalar();
        t.source = w.source(key);
        const std::string field = "http.serversTransports." + t.name;
        auto bad = [&](const YAML::Node& at, const std::string& option, const std::string& why) {
          t.errors.push_back(w.at(at, field + (option.empty() ? "" : "." + option) + ": " + why));
        };
        if (!node.IsMap()) {
          bad(node, "", "expected a mapping");
          out.transports.push_back(std::move(t));
          return;
        }
        for (const auto& kv : node) {
          const auto k = lower(kv.first.Scalar());
          const YAML::Node& v = kv.second;
          const std::string& option = kv.first.Scalar();
          if (k == "servername") {
            if (!scalar(v, t.server_name)) bad(v, option, "expected a string");
          } else if (k == "insecureskipverify") {
            if (!boolean(v, t.insecure_skip_verify)) bad(v, option, "expected true or false");
          } else if (k == "rootcas") {
            std::vector<std::string> refs;
            if (!string_list(v, refs)) bad(v, option, "expected a list of files (or PEM texts)");
            for (const auto& ref : refs) {
              std::string what;
              auto pem = pem_or_file(ref, read, "rootCAs", what);
              if (!pem) {
                bad(v, option, ref + ": cannot be read");
              } else if (auto ok = tls::check_ca_bundle(*pem, what); !ok) {
                bad(v, option, ok.error());
              } else {
                t.root_cas.push_back(std::move(*pem));
              }
            }
          } else if (k == "certificates") {
            // Client certificates for mutual TLS: the data plane presents the first.
            if (!v.IsSequence() || v.size() != 1) {
              bad(v, option, "expected a list of one {certFile, keyFile}");
              continue;
            }
            auto c = read_pair(v[0], field + ".certificates[0]", false, w, read);
            if (!c.errors.empty()) {
              t.errors.insert(t.errors.end(), c.errors.begin(), c.errors.end());
            } else {
              t.cert_pem = std::move(c.cert_pem);
              t.key_pem = std::move(c.key_pem);
            }
          } else if (k == "forwardingtimeouts") {
            std::vector<std::pair<std::string, std::string>> timeouts;
            flatten(v, "", timeouts);
            for (const auto& [name, value] : timeouts) {
              auto ms = duration_ms(value);
              if (name == "idleconntimeout" || name == "pingtimeout" || name == "readidletimeout") {
                // Connection upkeep Wharf does its own way (idle connections live 55 s).
              } else if (name != "dialtimeout" && name != "responseheadertimeout") {
                bad(v, option + "." + name, "unknown option");
              } else if (!ms) {
                bad(v, option + "." + name, "expected a duration such as 30s or 500ms");
              } else {
                (name == "dialtimeout" ? t.dial_timeout_ms : t.response_header_timeout_ms) = *ms;
              }
            }
          } else if (k == "maxidleconnsperhost" || k == "disablehttp2") {
            // Accepted so existing files load: the pool keeps what concurrency needs, and Wharf
            // speaks HTTP/1.1 to servers.
          } else {
            bad(kv.first, option,
                "not supported (serverName, insecureSkipVerify, rootCAs, "
                "certificates, forwardingTimeouts are)");
          }
        }
        out.transports.push_back(std::move(t));
      });
}

}  // namespace wharf::controller::file
