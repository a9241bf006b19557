#include "controller/acme/resolver_options.hpp"

#include <fstream>
#include <map>

#include "text/duration.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::acme {

using model::Error;

namespace {

// A DNS-1123 subdomain, as Kubernetes names Secrets and namespaces.
bool kubernetes_name(const std::string& n) {
  if (n.empty() || n.size() > 253 || n.front() == '-' || n.back() == '-') return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
}

// Traefik's dnsChallenge options (lower-cased, after "dnschallenge"): provider, resolvers,
// delayBeforeCheck (v2) and propagation.delayBeforeChecks, propagation.disableChecks (and v2's
// disablePropagationCheck), propagation.disableANSChecks, propagation.requireAllRNS (every
// resolver is asked anyway).
model::Status dns_option(const std::string& flag, const std::string& option, const std::string& v,
                         DnsChallengeOptions& d) {
  auto boolean = [&](bool& b) -> model::Status {
    if (v != "true" && v != "false") return Error{flag + ": expected true or false"};
    b = v == "true";
    return model::kOk;
  };
  if (option.empty()) {
    bool on = false;
    return boolean(on);
  }
  if (option == ".provider") {
    d.provider = v;
  } else if (option == ".resolvers") {
    d.resolvers.clear();
    for (const auto& each : text::split_list(v)) {
      auto s = dns::parse_server(each);
      if (!s) return Error{flag + ": " + s.error()};
      d.resolvers.push_back(*s);
    }
  } else if (option == ".delaybeforecheck" || option == ".propagation.delaybeforechecks") {
    auto ms = text::parse_duration_ms(v);
    if (!ms) return Error{flag + ": expected a duration (30s, 2m)"};
    d.delay_before_check = std::chrono::seconds(*ms / 1000);
  } else if (option == ".propagation.disablechecks" || option == ".disablepropagationcheck") {
    return boolean(d.disable_checks);
  } else if (option == ".propagation.disableanschecks") {
    return boolean(d.disable_ans_checks);
  } else if (option == ".propagation.requireallrns") {
    bool ignored = false;
    return boolean(ignored);
  } else {
    return Error{flag +
                 ": unknown option (provider, resolvers, propagation.delayBeforeChecks, "
                 "propagation.disableChecks, propagation.disableANSChecks are)"};
  }
  return model::kOk;
}

}  // namespace

model::Result<std::vector<ResolverConfig>> parse_resolvers(
    const cli::Flags& flags, const std::string& ca_file,
    const std::map<std::string, std::string>& env) {
  constexpr std::string_view kFamily = "--certificatesresolvers.";
  std::map<std::string, ResolverConfig> out;
  std::map<std::string, bool> http, tls, dns;
  for (const auto& [flag_name, values] : flags) {
    // A named copy: clang cannot capture a structured binding in the lambda below.
    const std::string& name = flag_name;
    if (!name.starts_with(kFamily)) continue;
    const std::string rest = name.substr(kFamily.size());
    const auto dot = rest.find('.');
    const std::string resolver = rest.substr(0, dot);
    if (dot == std::string::npos || rest.compare(dot, 6, ".acme.") != 0 || resolver.empty()) {
      return Error{name + ": expected --certificatesresolvers.NAME.acme.OPTION"};
    }
    const std::string option = rest.substr(dot + 6);
    const std::string& v = values.back();
    auto& r = out[resolver];
    r.name = resolver;
    auto flag = [&](bool& b) -> model::Status {
      if (v != "true" && v != "false") return Error{name + ": expected true or false"};
      b = v == "true";
      return model::kOk;
    };
    model::Status ok = model::kOk;
    if (option == "email") {
      r.email = v;
    } else if (option == "storage" && v.starts_with("secret:")) {
      // A Kubernetes Secret; its namespace defaults to the controller's (set with the
      // cluster's credentials, in options.cpp).
      const std::string ref = v.substr(7);
      const auto slash = ref.find('/');
      r.secret_name = slash == std::string::npos ? ref : ref.substr(slash + 1);
      r.secret_namespace = slash == std::string::npos ? "" : ref.substr(0, slash);
      if (!kubernetes_name(r.secret_name) ||
          (slash != std::string::npos && !kubernetes_name(r.secret_namespace))) {
        return Error{name +
                     ": expected secret:NAME or secret:NAMESPACE/NAME (lower-case "
                     "letters, digits, '-' and '.')"};
      }
    } else if (option == "storage") {
      // Traefik names a file (acme.json); Wharf keeps several files, beside it.
      r.secret_name.clear();
      r.storage = v.ends_with(".json")
                      ? v.substr(0, v.rfind('/') == std::string::npos ? 0 : v.rfind('/'))
                      : v;
      if (r.storage.empty()) r.storage = ".";
    } else if (option == "caserver") {
      if (!v.starts_with("https://") && !v.starts_with("http://")) {
        return Error{name + ": expected the directory URL of an ACME server"};
      }
      r.ca_server = v;
    } else if (option == "httpchallenge") {
      ok = flag(http[resolver]);
    } else if (option == "httpchallenge.entrypoint") {
      // Validations are answered on every plain-HTTP entrypoint; the CA uses port 80.
      http[resolver] = true;
    } else if (option == "tlschallenge") {
      ok = flag(tls[resolver]);
    } else if (option == "keytype") {
      if (v != "EC256" && v != "ec256") {
        return Error{name + ": only EC256 is supported (P-256 keys for account and certificates)"};
      }
    } else if (option.starts_with("dnschallenge")) {
      dns[resolver] = true;
      ok = dns_option(name, option.substr(12), v, r.dns);
    } else {
      return Error{name +
                   ": unknown option (email, storage, caServer, httpChallenge.entryPoint, "
                   "tlsChallenge, dnsChallenge.*, keyType are)"};
    }
    if (!ok) return Error{ok.error()};
  }
  std::string ca_pem;
  if (!ca_file.empty()) {
    std::ifstream in(ca_file);
    if (!in) return Error{"--acme-ca-certificates " + ca_file + ": cannot be read"};
    ca_pem.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<ResolverConfig> list;
  for (auto& [name, r] : out) {
    if (int(http[name]) + int(tls[name]) + int(dns[name]) > 1) {
      return Error{"certificate resolver " + name +
                   ": choose one of httpChallenge, tlsChallenge, dnsChallenge"};
    }
    r.challenge = tls[name]   ? ChallengeType::kTlsAlpn01
                  : dns[name] ? ChallengeType::kDns01
                              : ChallengeType::kHttp01;
    r.dns.env = env;
    if (dns[name] && r.dns.provider.empty()) {
      r.problem = "dnsChallenge needs a provider (--certificatesresolvers." + name +
                  ".acme.dnschallenge.provider=rfc2136)";
    } else if (dns[name]) {
      // Checked now so the log and --check name a missing credential at once; the resolver
      // then obtains nothing, and everything else is served.
      // Built on a scratch executor only to check its options; the manager makes its own.
      asio::io_context scratch;
      if (auto provider = make_dns_provider(scratch.get_executor(), r.dns); !provider) {
        r.problem = provider.error();
      }
    }
    if (r.storage.empty()) r.storage = "/var/lib/wharf/acme";
    r.ca_pem = ca_pem;
    list.push_back(std::move(r));
  }
  return list;
}

}  // namespace wharf::controller::acme
