#include "controller/file/tls_sections.hpp"

#include <algorithm>
#include <iterator>
#include <map>

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

// Go's names (which Traefik's configuration uses) for the suites Wharf allows: forward-secret
// AEAD only. TLS 1.3 suites keep their names.
const std::map<std::string, std::string>& cipher_names() {
  static const std::map<std::string, std::string> kNames = {
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"},
      {"TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"},
      {"TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256"}};
  return kNames;
}

// The ECDHE CBC suites Go (and so Traefik) can be told to use: forward secret, but no AEAD.
const std::map<std::string, std::string>& cbc_names() {
  static const std::map<std::string, std::string> kNames = {
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"}};
  return kNames;
}

// tls.options.<name>: Traefik's TLS options, each checked alone.
void read_tls_options(const YAML::Node& section, const Where& w, const FileReader& read,
                      model::ProviderConfig& out) {
  each_named(section, "tls.options", w, out, [&](const YAML::Node& key, const YAML::Node& node) {
    model::ConfigTlsOptions c;
    c.options.name = key.Scalar();
    c.source = w.source(key);
    auto& o = c.options;
    const std::string field = "tls.options." + o.name;
    auto bad = [&](const YAML::Node& at, const std::string& option, const std::string& why) {
      c.errors.push_back(w.at(at, field + "." + option + ": " + why));
    };
    auto version = [&](const YAML::Node& v, const std::string& option, std::string& to) {
      std::string s;
      scalar(v, s);
      if (s == "VersionTLS12") {
        to = "1.2";
      } else if (s == "VersionTLS13") {
        to = "1.3";
      } else if (s == "VersionTLS10" || s == "VersionTLS11") {
        // Stricter than asked, never looser: the options stay in force with TLS 1.2.
        to = "1.2";
        c.warnings.push_back(
            w.at(v, field + "." + option + ": " + s + " raised to TLS 1.2, Wharf's floor"));
      } else {
        bad(v, option, "expected VersionTLS12 or VersionTLS13");
      }
    };
    for (const auto& kv : node.IsMap() ? node : YAML::Node(YAML::NodeType::Map)) {
      const auto k = lower(kv.first.Scalar());
      const YAML::Node& v = kv.second;
      const std::string& option = kv.first.Scalar();
      if (k == "minversion") {
        version(v, option, o.min_version);
      } else if (k == "maxversion") {
        version(v, option, o.max_version);
      } else if (k == "ciphersuites") {
        std::vector<std::string> names;
        if (!string_list(v, names)) bad(v, option, "expected a list of suite names");
        for (const auto& n : names) {
          auto it = cipher_names().find(n);
          auto cbc = cbc_names().find(n);
          if (it != cipher_names().end()) {
            o.cipher_suites.push_back(it->second);
          } else if (cbc != cbc_names().end()) {
            // Listed on purpose (old clients): honoured, but said to be weaker.
            o.cipher_suites.push_back(cbc->second);
            c.warnings.push_back(w.at(v, field + "." + option + ": " + n +
                                             " is a CBC suite (no AEAD; Lucky13-style attacks); "
                                             "offered because it is listed"));
          } else if (n == "TLS_FALLBACK_SCSV") {
            // A signal, not a suite (RFC 7507): OpenSSL honours it on its own.
          } else if (n.starts_with("TLS_RSA_") || n.find("3DES") != std::string::npos ||
                     n.find("RC4") != std::string::npos) {
            c.warnings.push_back(w.at(v, field + "." + option + ": " + n +
                                             " left out: no forward secrecy or a broken cipher; "
                                             "the other suites are offered"));
          } else {
            bad(v, option, n + " is not a TLS 1.2 or 1.3 cipher suite Wharf knows");
          }
        }
      } else if (k == "curvepreferences") {
        std::vector<std::string> names;
        if (!string_list(v, names)) bad(v, option, "expected a list of curve names");
        for (const auto& n : names) {
          if (n == "CurveP256" || n == "secp256r1") {
            o.curves.push_back("P-256");
          } else if (n == "CurveP384" || n == "secp384r1") {
            o.curves.push_back("P-384");
          } else if (n == "CurveP521" || n == "secp521r1") {
            o.curves.push_back("P-521");
          } else if (n == "X25519") {
            o.curves.push_back("X25519");
          } else {
            bad(v, option, n + " is not a known curve (CurveP256, CurveP384, CurveP521, X25519)");
          }
        }
      } else if (k == "snistrict") {
        if (!boolean(v, o.sni_strict)) bad(v, option, "expected true or false");
      } else if (k == "clientauth") {
        for (const auto& ca : v.IsMap() ? v : YAML::Node(YAML::NodeType::Map)) {
          const auto ck = lower(ca.first.Scalar());
          if (ck == "cafiles") {
            std::vector<std::string> refs;
            if (!string_list(ca.second, refs))
              bad(ca.second, "clientAuth.caFiles", "expected a list");
            for (const auto& ref : refs) {
              std::string what;
              auto pem = pem_or_file(ref, read, "caFiles", what);
              if (!pem) {
                bad(ca.second, "clientAuth.caFiles", ref + ": cannot be read");
              } else if (auto ok = tls::check_ca_bundle(*pem, what); !ok) {
                bad(ca.second, "clientAuth.caFiles", ok.error());
              } else {
                o.client_cas.push_back(std::move(*pem));
              }
            }
          } else if (ck == "clientauthtype") {
            static const std::map<std::string, std::string> kTypes = {
                {"NoClientCert", ""},
                {"RequestClientCert", "request"},
                {"RequireAnyClientCert", "require_any"},
                {"VerifyClientCertIfGiven", "verify_if_given"},
                {"RequireAndVerifyClientCert", "require_and_verify"}};
            std::string t;
            scalar(ca.second, t);
            auto it = kTypes.find(t);
            if (it == kTypes.end()) {
              bad(ca.second, "clientAuth.clientAuthType", "'" + t + "' is not a client auth type");
            } else {
              o.client_auth = it->second;
            }
          } else {
            bad(ca.first, "clientAuth." + ca.first.Scalar(), "unknown option");
          }
        }
      } else if (k == "alpnprotocols" || k == "preferservercipherSuites" ||
                 k == "preferserverciphersuites") {
        // Wharf speaks HTTP/1.1 and always prefers its own suite order.
      } else {
        bad(kv.first, option, "unknown option");
      }
    }
    if (c.errors.empty()) {
      if (auto why = model::tls_options_problem(o); !why.empty()) {
        c.errors.push_back(w.at(key, field + ": " + why));
      }
    }
    out.tls_options.push_back(std::move(c));
  });
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
    } else if (key == "options") {
      read_tls_options(v, w, read, out);
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

model::ConfigTransport read_servers_transport(const std::string& name, const std::string& field,
                                              const YAML::Node& node, const Where& w,
                                              const FileReader& read) {
  model::ConfigTransport t;
  t.name = name;
  t.source = w.source(node);
  auto bad = [&](const YAML::Node& at, const std::string& option, const std::string& why) {
    t.errors.push_back(w.at(at, field + (option.empty() ? "" : "." + option) + ": " + why));
  };
  if (!node.IsMap()) {
    bad(node, "", "expected a mapping");
    return t;
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
      for (const auto& [option_name, value] : timeouts) {
        auto ms = duration_ms(value);
        if (option_name == "idleconntimeout" || option_name == "pingtimeout" ||
            option_name == "readidletimeout") {
          // Connection upkeep Wharf does its own way (idle connections live 55 s).
        } else if (option_name != "dialtimeout" && option_name != "responseheadertimeout") {
          bad(v, option + "." + option_name, "unknown option");
        } else if (!ms) {
          bad(v, option + "." + option_name, "expected a duration such as 30s or 500ms");
        } else {
          (option_name == "dialtimeout" ? t.dial_timeout_ms : t.response_header_timeout_ms) = *ms;
        }
      }
    } else if (k == "disablehttp2") {
      if (!boolean(v, t.disable_http2)) bad(v, option, "expected true or false");
    } else if (k == "maxidleconnsperhost") {
      // Accepted so existing files load: the pool keeps what concurrency needs.
    } else {
      bad(kv.first, option,
          "not supported (serverName, insecureSkipVerify, rootCAs, "
          "certificates, forwardingTimeouts, disableHTTP2 are)");
    }
  }
  return t;
}

void read_servers_transports(const YAML::Node& section, const Where& w, const FileReader& read,
                             model::ProviderConfig& out) {
  each_named(section, "http.serversTransports", w, out,
             [&](const YAML::Node& key, const YAML::Node& node) {
               auto t = read_servers_transport(
                   key.Scalar(), "http.serversTransports." + key.Scalar(), node, w, read);
               t.source = w.source(key);
               out.transports.push_back(std::move(t));
             });
}

}  // namespace wharf::controller::file
