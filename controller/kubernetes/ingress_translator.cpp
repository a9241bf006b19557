#include "controller/kubernetes/ingress_translator.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "controller/provider/split_list.hpp"

namespace wharf::controller::kubernetes {
namespace {

constexpr const char* kAnnotationPrefix = "wharf.ingress.kubernetes.io/";
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
          if (auto url = model::server_url_for_ip(addr, sp.port)) out.servers.push_back({*url, 1});
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
  std::optional<std::int64_t> priority;
  std::vector<std::string> errors;
};

Annotations annotations_of(const Ingress& ing) {
  Annotations a;
  for (const auto& [key, value] : ing.meta.annotations) {
    if (!key.starts_with(kAnnotationPrefix)) continue;
    auto name = key.substr(std::string_view(kAnnotationPrefix).size());
    if (name == "router.middlewares") {
      a.middlewares = split_list(value);
    } else if (name == "router.entrypoints") {
      a.entrypoints = split_list(value);
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
                         ": unknown (known: router.middlewares, "
                         "router.entrypoints, router.priority)");
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
      out_.routers.push_back(std::move(r));
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
        out_.routers.push_back(std::move(r));
      }
    }
  }

 private:
  model::ConfigRouter router(const Ingress& ing, const Annotations& ann, std::string name,
                             std::string rule, std::int64_t priority) {
    model::ConfigRouter r;
    r.name = std::move(name);
    r.rule = std::move(rule);
    r.priority = ann.priority.value_or(priority);
    r.entrypoints = ann.entrypoints;
    r.middlewares = ann.middlewares;
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

model::ProviderConfig translate(const Snapshot& snap, const IngressOptions& opt) {
  std::vector<const Ingress*> ours;
  for (const auto& ing : snap.ingresses) {
    if (is_ours(ing, snap, opt)) ours.push_back(&ing);
  }
  std::sort(ours.begin(), ours.end(), [](const Ingress* a, const Ingress* b) {
    return std::tie(a->meta.ns, a->meta.name) < std::tie(b->meta.ns, b->meta.name);
  });
  model::ProviderConfig out;
  Builder builder(snap, out);
  for (const Ingress* ing : ours) builder.add(*ing);
  return out;
}

}  // namespace wharf::controller::kubernetes
