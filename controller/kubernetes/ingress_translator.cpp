#include "controller/kubernetes/ingress_translator.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>

#include "controller/tls/key_pair.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::kubernetes {
namespace {

constexpr const char* kAnnotationPrefix = "wharf.ingress.kubernetes.io/";
constexpr const char* kTraefikPrefix = "traefik.ingress.kubernetes.io/";
constexpr std::int64_t kHostExact = 3, kHostWildcard = 2, kHostAny = 1;
constexpr std::int64_t kHostWeight = 1'000'000'000;
constexpr std::int64_t kDefaultBackendPriority = 2;

std::string where(const Ingress& ing) {
  return "ingress " + ing.meta.ns + "/" + ing.meta.name;
}

// The provider-local service name for a backend: "<namespace>-<service>-<port>".
std::string service_key(const std::string& ns, const IngressBackend& b) {
  return ns + "-" + b.service + "-" +
         (b.port_name.empty() ? std::to_string(b.port_number) : b.port_name);
}

// Services and EndpointSlices by "namespace/service", built once per translation so a
// thousand Ingresses do not each scan every object.
struct Index {
  std::map<std::string, const Service*> services;
  std::map<std::string, std::vector<const EndpointSlice*>> slices;
  explicit Index(const Snapshot& snap) {
    for (const auto& s : snap.services) services[s.meta.ns + "/" + s.meta.name] = &s;
    for (const auto& es : snap.slices) slices[es.meta.ns + "/" + es.service].push_back(&es);
  }
};

// The scheme of servers behind a Service port with this appProtocol: kubernetes.io/h2c is
// HTTP/2 with prior knowledge, https and kubernetes.io/wss are TLS; anything else (http,
// kubernetes.io/ws, none, a name Wharf does not know) is plain HTTP/1.1.
std::string scheme_of_app_protocol(std::string_view app_protocol) {
  if (app_protocol == "kubernetes.io/h2c") return "h2c";
  if (app_protocol == "https" || app_protocol == "kubernetes.io/wss") return "https";
  return "http";
}

// The backend's servers: ready, not terminating endpoints of the Service's EndpointSlices, on the
// slice port that carries the chosen Service port (slices name their ports like the Service).
model::ConfigService backend_service(const Index& idx, const std::string& ns,
                                     const IngressBackend& b, const std::string& field) {
  model::ConfigService out;
  out.name = service_key(ns, b);
  out.source = "service " + ns + "/" + b.service;
  if (b.is_resource || b.service.empty()) {
    out.errors.push_back(field + ": only service backends are supported");
    return out;
  }
  auto found = idx.services.find(ns + "/" + b.service);
  const Service* svc = found == idx.services.end() ? nullptr : found->second;
  if (!svc) return out;  // Not created yet: no servers, its paths answer 503.
  if (svc->type == "ExternalName") {
    out.errors.push_back(field + ": service " + ns + "/" + b.service +
                         " is of type ExternalName, which is not supported");
    return out;
  }
  const ServicePort* port = nullptr;
  for (const auto& p : svc->ports) {
    if ((!b.port_name.empty() && p.name == b.port_name) ||
        (b.port_name.empty() && p.port == b.port_number)) {
      port = &p;
    }
  }
  if (!port) {
    out.errors.push_back(
        field + ": service " + ns + "/" + b.service + " has no port " +
        (b.port_name.empty() ? std::to_string(b.port_number) : "named " + b.port_name));
    return out;
  }
  // How the servers are reached: the Service port's appProtocol (KEP-3726's standard values,
  // as Gateway API implementations read them), then the Service's own annotations as Traefik
  // reads them (service.serversscheme https or h2c, service.serverstransport `name@file`),
  // which win.
  std::string scheme = scheme_of_app_protocol(port->app_protocol);
  for (const auto& [key, value] : svc->meta.annotations) {
    // Traefik's own names for the two work unchanged on a Service that Traefik served; its
    // other Service annotations are Traefik's business and left alone.
    const bool traefiks = key == kTraefikPrefix + std::string("service.serversscheme") ||
                          key == kTraefikPrefix + std::string("service.serverstransport");
    if (!traefiks && !key.starts_with(kAnnotationPrefix)) continue;
    auto name = key.substr(key.find('/') + 1);
    if (name == "service.serversscheme") {
      if (value == "http" || value == "https" || value == "h2c") {
        scheme = value;
      } else {
        out.errors.push_back("service " + ns + "/" + b.service + ": annotation " + key + "=" +
                             value + ": expected http, https or h2c");
      }
    } else if (name == "service.serverstransport") {
      out.transport = value;
    } else {
      out.errors.push_back("service " + ns + "/" + b.service + ": annotation " + key +
                           ": unknown (known: service.serversscheme, service.serverstransport)");
    }
  }
  static const std::vector<const EndpointSlice*> kNone;
  auto slices = idx.slices.find(ns + "/" + b.service);
  const auto& service_slices = slices == idx.slices.end() ? kNone : slices->second;
  for (const EndpointSlice* slice : service_slices) {
    for (const auto& sp : slice->ports) {
      if (sp.name != port->name || sp.protocol != "TCP" || sp.port <= 0) continue;
      for (const auto& ep : slice->endpoints) {
        if (!ep.ready || ep.terminating) continue;
        for (const auto& addr : ep.addresses) {
          // Only IP literals (addressType IPv4/IPv6); FQDN endpoints are not routed to.
          if (auto url = model::server_url_for_ip(addr, sp.port, scheme)) {
            out.servers.push_back({*url, 1});
          }
        }
      }
    }
  }
  std::sort(out.servers.begin(), out.servers.end(),
            [](const auto& x, const auto& y) { return x.url < y.url; });
  out.servers.erase(std::unique(out.servers.begin(), out.servers.end()), out.servers.end());
  return out;
}

// Length of a path in the terms precedence is decided in: a Prefix path's trailing '/' does not
// count (`/foo/` and `/foo` are the same prefix).
std::int64_t path_weight(const std::string& path, bool exact) {
  std::size_t n = path.size();
  if (!exact) {
    while (n > 1 && path[n - 1] == '/') --n;
  }
  return static_cast<std::int64_t>(n) * 2 + (exact ? 1 : 0);
}

struct Annotations {
  std::vector<std::string> middlewares, entrypoints;
  std::string tls_options, cert_resolver;
  std::optional<std::int64_t> priority;
  std::vector<std::string> errors;
};

Annotations annotations_of(const Ingress& ing) {
  Annotations a;
  for (const auto& [key, value] : ing.meta.annotations) {
    if (!key.starts_with(kAnnotationPrefix)) continue;
    auto name = key.substr(std::string_view(kAnnotationPrefix).size());
    if (name == "router.middlewares") {
      a.middlewares = text::split_list(value);
    } else if (name == "router.entrypoints") {
      a.entrypoints = text::split_list(value);
    } else if (name == "router.tls.options") {
      a.tls_options = value;
    } else if (name == "router.tls.certresolver") {
      a.cert_resolver = value;
    } else if (name == "router.priority") {
      std::int64_t p = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
      if (ec != std::errc{} || end != value.data() + value.size() || p <= 0) {
        a.errors.push_back("annotation " + key + "=" + value + ": expected a positive integer");
      } else {
        a.priority = p;
      }
    } else {
      a.errors.push_back("annotation " + key +
                         ": unknown (known: router.middlewares, router.entrypoints, "
                         "router.priority, router.tls.options, router.tls.certresolver)");
    }
  }
  return a;
}

class Builder {
 public:
  Builder(const Snapshot& snap, model::ProviderConfig& out) : index_(snap), out_(out) {}

  void add(const Ingress& ing) {
    const Annotations ann = annotations_of(ing);
    const std::string base = ing.meta.ns + "-" + ing.meta.name;
    if (ing.default_backend) {
      auto r = router(ing, ann, base + "-default", "PathPrefix(`/`)", kDefaultBackendPriority);
      r.service = service(ing.meta.ns, *ing.default_backend, where(ing) + " spec.defaultBackend");
      emit(std::move(r));
    }
    for (std::size_t i = 0; i < ing.rules.size(); ++i) {
      const auto& rule = ing.rules[i];
      for (std::size_t j = 0; j < rule.paths.size(); ++j) {
        const auto& p = rule.paths[j];
        const std::string field = where(ing) + " spec.rules[" + std::to_string(i) +
                                  "].http.paths[" + std::to_string(j) + "]";
        auto r =
            router(ing, ann, base + "-r" + std::to_string(i) + "-p" + std::to_string(j), "", 0);
        path_rule(rule.host, p, field, r);
        r.service = service(ing.meta.ns, p.backend, field + ".backend");
        emit(std::move(r));
      }
    }
  }

 private:
  // Every route is served over plain HTTP and over TLS, as ingress-nginx does: a router serves
  // one kind of connection only (see the data plane), so each comes in two. The TLS one gets
  // the certificate of a TLS section naming its host, else the default certificate.
  void emit(model::ConfigRouter r) {
    model::ConfigRouter tls = r;
    tls.name += "-tls";
    tls.tls = true;
    r.tls_options.clear();  // TLS options and ACME only mean something to the TLS router.
    r.cert_resolver.clear();
    out_.routers.push_back(std::move(r));
    out_.routers.push_back(std::move(tls));
  }

  model::ConfigRouter router(const Ingress& ing, const Annotations& ann, std::string name,
                             std::string rule, std::int64_t priority) {
    model::ConfigRouter r;
    r.name = std::move(name);
    r.rule = std::move(rule);
    r.priority = ann.priority.value_or(priority);
    r.entrypoints = ann.entrypoints;
    r.middlewares = ann.middlewares;
    r.tls_options = ann.tls_options;
    r.cert_resolver = ann.cert_resolver;
    r.source = where(ing);
    for (const auto& e : ann.errors) r.errors.push_back(where(ing) + ": " + e);
    return r;
  }

  void path_rule(const std::string& host, const IngressPath& p, const std::string& field,
                 model::ConfigRouter& r) {
    const bool exact = p.path_type == "Exact";
    if (!exact && p.path_type != "Prefix" && p.path_type != "ImplementationSpecific") {
      r.errors.push_back(field +
                         ".pathType: expected Exact, Prefix or ImplementationSpecific, got '" +
                         p.path_type + "'");
      return;
    }
    std::string path = p.path.empty() ? "/" : p.path;  // ImplementationSpecific may omit it.
    if (path.front() != '/') {
      r.errors.push_back(field + ".path: '" + path + "' must begin with '/'");
      return;
    }
    if (path.find('`') != std::string::npos) {
      r.errors.push_back(field + ".path: a backtick is not allowed in a path");
      return;
    }
    std::int64_t host_class = host.empty()             ? kHostAny
                              : host.starts_with("*.") ? kHostWildcard
                                                       : kHostExact;
    std::string rule = exact ? "Path(`" + path + "`)" : "PathSegmentPrefix(`" + path + "`)";
    if (!host.empty()) rule = "Host(`" + host + "`) && " + rule;
    r.rule = rule;
    if (r.priority == 0) r.priority = host_class * kHostWeight + path_weight(path, exact);
  }

  std::string service(const std::string& ns, const IngressBackend& b, const std::string& field) {
    auto key = service_key(ns, b);
    if (!made_.count(key)) {
      made_[key] = out_.services.size();
      out_.services.push_back(backend_service(index_, ns, b, field));
    }
    return key;
  }

  Index index_;
  model::ProviderConfig& out_;
  std::map<std::string, std::size_t> made_;

 public:
  const model::ConfigService& made(const std::string& key) const {
    return out_.services[made_.at(key)];
  }
};

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

// Certificates by Secret: every TLS section naming the same Secret shares one certificate.
class Certificates {
 public:
  explicit Certificates(const Snapshot& snap) {
    for (const auto& s : snap.secrets) secrets_[s.meta.ns + "/" + s.meta.name] = &s;
  }

  void add(const Ingress& ing) {
    for (std::size_t i = 0; i < ing.tls.size(); ++i) {
      const auto& t = ing.tls[i];
      // No secretName is valid (hosts meant for SNI with a default certificate).
      if (t.secret_name.empty()) continue;
      auto& c = wanted_[ing.meta.ns + "/" + t.secret_name];
      const std::string field = where(ing) + " spec.tls[" + std::to_string(i) + "]";
      if (c.field.empty()) c.field = field;
      c.own_names |= t.hosts.empty();
      for (std::size_t j = 0; j < t.hosts.size(); ++j) {
        // The API server validates hosts; a name that is not one (the data plane would refuse
        // the whole table for it) is reported rather than passed on.
        if (tls::is_server_name(t.hosts[j])) {
          c.hosts.push_back(t.hosts[j]);
        } else if (c.bad_host.empty()) {
          c.bad_host =
              field + ".hosts[" + std::to_string(j) + "]: '" + t.hosts[j] + "' is not a host name";
        }
      }
    }
  }

  // What is wrong with a Secret a TLS section of an Ingress in `ns` names, or empty.
  std::string problem(const std::string& ns, const std::string& secret) {
    auto it = wanted_.find(ns + "/" + secret);
    return it == wanted_.end() ? std::string() : check(it->first, it->second);
  }

  void emit(model::ProviderConfig& out) {
    for (auto& [key, c] : wanted_) {
      model::ConfigCertificate cert;
      auto slash = key.find('/');
      cert.name = key.substr(0, slash) + "-" + key.substr(slash + 1);
      cert.source = "secret " + key;
      if (auto why = check(key, c); !why.empty()) {
        cert.errors.push_back(c.field + ": " + why);
      } else if (!c.bad_host.empty()) {
        cert.errors.push_back(c.bad_host);
      } else {
        const Secret& s = *secrets_.at(key);
        cert.cert_pem = s.tls_crt;
        cert.key_pem = s.tls_key;
        cert.domains = c.hosts;
        if (c.own_names) {
          // Names in a certificate are not validated by anyone before us.
          std::copy_if(c.info.dns_names.begin(), c.info.dns_names.end(),
                       std::back_inserter(cert.domains), tls::is_server_name);
        }
        std::sort(cert.domains.begin(), cert.domains.end());
        cert.domains.erase(std::unique(cert.domains.begin(), cert.domains.end()),
                           cert.domains.end());
      }
      out.certificates.push_back(std::move(cert));
    }
  }

 private:
  struct Wanted {
    std::string field;  // The first TLS section naming the Secret, for messages.
    std::vector<std::string> hosts;
    bool own_names = false;
    std::string bad_host;
    bool checked = false;
    std::string problem;
    tls::KeyPairInfo info;
  };

  // Checked once per Secret however many Ingresses name it (parsing keys is not free).
  const std::string& check(const std::string& key, Wanted& c) {
    if (c.checked) return c.problem;
    c.checked = true;
    auto found = secrets_.find(key);
    const std::string prefix = "secret " + key;
    if (found == secrets_.end()) {
      c.problem = prefix +
                  " not found (it must exist in the Ingress's namespace and be of type "
                  "kubernetes.io/tls)";
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

  std::map<std::string, const Secret*> secrets_;
  std::map<std::string, Wanted> wanted_;
};

}  // namespace

bool is_ours(const Ingress& ing, const Snapshot& snap, const IngressOptions& opt) {
  auto ours = [](const IngressClass& c) { return c.controller == kControllerName; };
  if (!ing.class_name.empty()) {
    for (const auto& c : snap.classes) {
      if (c.meta.name == ing.class_name) return ours(c);
    }
    return false;
  }
  auto legacy = ing.meta.annotations.find("kubernetes.io/ingress.class");
  if (legacy != ing.meta.annotations.end()) return legacy->second == opt.ingress_class;
  if (opt.watch_without_class) return true;
  return std::any_of(snap.classes.begin(), snap.classes.end(),
                     [&](const IngressClass& c) { return ours(c) && c.is_default; });
}

model::ProviderConfig translate(const Snapshot& snap, const IngressOptions& opt,
                                std::vector<IngressReport>* reports) {
  std::vector<const Ingress*> sorted;
  for (const auto& ing : snap.ingresses) sorted.push_back(&ing);
  std::sort(sorted.begin(), sorted.end(), [](const Ingress* a, const Ingress* b) {
    return std::tie(a->meta.ns, a->meta.name) < std::tie(b->meta.ns, b->meta.name);
  });
  model::ProviderConfig out;
  Builder builder(snap, out);
  Certificates certs(snap);
  std::vector<std::pair<const Ingress*, std::size_t>> ours;  // Ingress, its first router.
  for (const Ingress* ing : sorted) {
    if (is_ours(*ing, snap, opt)) {
      ours.emplace_back(ing, out.routers.size());
      builder.add(*ing);
      certs.add(*ing);
    } else if (reports) {
      reports->push_back({ing->meta, false, ing->status, {}});
    }
  }
  if (reports) {
    for (std::size_t k = 0; k < ours.size(); ++k) {
      const Ingress& ing = *ours[k].first;
      const std::size_t end = k + 1 < ours.size() ? ours[k + 1].second : out.routers.size();
      IngressReport rep{ing.meta, true, ing.status, {}};
      auto note = [&](const std::string& problem) {
        if (!problem.empty() &&
            std::find(rep.problems.begin(), rep.problems.end(), problem) == rep.problems.end()) {
          rep.problems.push_back(problem);
        }
      };
      for (std::size_t i = ours[k].second; i < end; ++i) {
        for (const auto& e : out.routers[i].errors) note(e);
        for (const auto& e : builder.made(out.routers[i].service).errors) note(e);
      }
      for (std::size_t i = 0; i < ing.tls.size(); ++i) {
        if (ing.tls[i].secret_name.empty()) continue;
        auto why = certs.problem(ing.meta.ns, ing.tls[i].secret_name);
        if (!why.empty()) note(where(ing) + " spec.tls[" + std::to_string(i) + "]: " + why);
      }
      reports->push_back(std::move(rep));
    }
  }
  certs.emit(out);
  return out;
}

}  // namespace wharf::controller::kubernetes
