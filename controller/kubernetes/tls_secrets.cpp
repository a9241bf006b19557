#include "controller/kubernetes/tls_secrets.hpp"

#include <algorithm>
#include <unordered_map>

#include "controller/kubernetes/backends.hpp"

namespace wharf::controller::kubernetes {
namespace {

// check_key_pair() of a Secret, remembered by content: every EndpointSlice change rebuilds the
// whole translation, and parsing a thousand keys each time would cost ~100 ms. A memo of a
// deterministic function (the translation stays pure), keyed by a hash of both PEMs and checked
// against them, and bounded: cleared when it outgrows any plausible cluster.
model::Result<tls::KeyPairInfo> checked_key_pair(const Secret& s) {
  struct Entry {
    std::string crt, key;
    model::Result<tls::KeyPairInfo> result;
  };
  static std::unordered_map<std::size_t, Entry> memo;
  const std::size_t h =
      std::hash<std::string>{}(s.tls_crt) * 31 + std::hash<std::string>{}(s.tls_key);
  if (auto it = memo.find(h);
      it != memo.end() && it->second.crt == s.tls_crt && it->second.key == s.tls_key) {
    return it->second.result;
  }
  auto result = tls::check_key_pair(s.tls_crt, s.tls_key, "tls.crt", "tls.key");
  if (memo.size() >= 20'000) memo.clear();
  memo.insert_or_assign(h, Entry{s.tls_crt, s.tls_key, result});
  return result;
}

}  // namespace

void Certificates::add(const Ingress& ing) {
  for (std::size_t i = 0; i < ing.tls.size(); ++i) {
    const auto& t = ing.tls[i];
    // No secretName is valid (hosts meant for SNI with a default certificate).
    if (t.secret_name.empty()) continue;
    want(ing.meta.ns, t.secret_name, t.hosts, where(ing) + " spec.tls[" + std::to_string(i) + "]");
  }
}

void Certificates::want(const std::string& ns, const std::string& secret,
                        const std::vector<std::string>& hosts, const std::string& field) {
  auto& c = wanted_[ns + "/" + secret];
  if (c.field.empty()) c.field = field;
  c.own_names |= hosts.empty();
  for (std::size_t j = 0; j < hosts.size(); ++j) {
    // The API server validates hosts; a name that is not one (the data plane would refuse
    // the whole table for it) is reported rather than passed on.
    if (tls::is_server_name(hosts[j])) {
      c.hosts.push_back(hosts[j]);
    } else if (c.bad_host.empty()) {
      c.bad_host =
          field + ".hosts[" + std::to_string(j) + "]: '" + hosts[j] + "' is not a host name";
    }
  }
}

std::string Certificates::problem(const std::string& ns, const std::string& secret) {
  auto it = wanted_.find(ns + "/" + secret);
  return it == wanted_.end() ? std::string() : check(it->first, it->second);
}

void Certificates::emit(model::ProviderConfig& out) {
  for (auto& [key, c] : wanted_) {
    model::ConfigCertificate cert;
    auto slash = key.find('/');
    cert.name = prefix_ + key.substr(0, slash) + "-" + key.substr(slash + 1);
    cert.source = "secret " + key;
    if (auto why = check(key, c); !why.empty()) {
      cert.errors.push_back(c.field + ": " + why);
    } else if (!c.bad_host.empty()) {
      cert.errors.push_back(c.bad_host);
    } else {
      const Secret& s = *index_.secrets.at(key);
      cert.cert_pem = s.tls_crt;
      cert.key_pem = s.tls_key;
      cert.domains = c.hosts;
      if (c.own_names) {
        // Names in a certificate are not validated by anyone before us.
        std::copy_if(c.info.dns_names.begin(), c.info.dns_names.end(),
                     std::back_inserter(cert.domains), tls::is_server_name);
      }
      std::sort(cert.domains.begin(), cert.domains.end());
      cert.domains.erase(std::unique(cert.domains.begin(), cert.domains.end()), cert.domains.end());
    }
    out.certificates.push_back(std::move(cert));
  }
}

// Checked once per Secret however many Ingresses name it (parsing keys is not free).
const std::string& Certificates::check(const std::string& key, Wanted& c) {
  if (c.checked) return c.problem;
  c.checked = true;
  auto found = index_.secrets.find(key);
  const std::string prefix = "secret " + key;
  if (found == index_.secrets.end()) {
    c.problem = prefix + " not found (it must be of type kubernetes.io/tls)";
  } else if (found->second->type != "kubernetes.io/tls") {
    c.problem = prefix + " is of type '" + found->second->type + "', not kubernetes.io/tls";
  } else if (!found->second->problem.empty()) {
    c.problem = prefix + ": " + found->second->problem;
  } else if (auto info = checked_key_pair(*found->second); !info) {
    c.problem = prefix + ": " + info.error();
  } else {
    c.info = std::move(*info);
  }
  return c.problem;
}

}  // namespace wharf::controller::kubernetes
