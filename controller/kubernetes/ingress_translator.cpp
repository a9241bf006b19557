#include "controller/kubernetes/ingress_translator.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "controller/kubernetes/backends.hpp"
#include "controller/kubernetes/ingress_class.hpp"
#include "controller/kubernetes/nginx/translator.hpp"
#include "controller/kubernetes/tls_secrets.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::kubernetes {
namespace {

constexpr const char* kAnnotationPrefix = "wharf.ingress.kubernetes.io/";

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
  Builder(const Index& index, model::ProviderConfig& out) : index_(index), out_(out) {}

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
        if (!r.cert_resolver.empty()) r.cert_domains = certificate_domains(ing, rule.host);
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
    r.cert_domains.clear();
    out_.routers.push_back(std::move(r));
    out_.routers.push_back(std::move(tls));
  }

  // What a certificate resolver is asked for on behalf of a rule's host: every host of the TLS
  // section naming it, so `hosts: ["*.home.example", "home.example"]` is one order (and one
  // certificate) for the rules of both, as cert-manager makes one per section. A host in no
  // section: the rule's own (the aggregator's default).
  static std::vector<std::vector<std::string>> certificate_domains(const Ingress& ing,
                                                                   const std::string& host) {
    if (host.empty()) return {};
    for (const auto& t : ing.tls) {
      if (std::find(t.hosts.begin(), t.hosts.end(), host) != t.hosts.end()) return {t.hosts};
    }
    return {};
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
    std::string rule = exact ? "Path(`" + path + "`)" : "PathSegmentPrefix(`" + path + "`)";
    if (!host.empty()) rule = "Host(`" + host + "`) && " + rule;
    r.rule = rule;
    if (r.priority == 0) r.priority = host_precedence(host) + path_weight(path, exact);
  }

  std::string service(const std::string& ns, const IngressBackend& b, const std::string& field) {
    auto key = service_key(ns, b);
    if (!made_.count(key)) {
      made_[key] = out_.services.size();
      out_.services.push_back(backend_service(index_, ns, b, field, key));
    }
    return key;
  }

  const Index& index_;
  model::ProviderConfig& out_;
  std::map<std::string, std::size_t> made_;
};

}  // namespace

bool is_ours(const Ingress& ing, const Snapshot& snap, const IngressOptions& opt) {
  return of_class(ing, snap, {kControllerName, opt.ingress_class, opt.watch_without_class, false});
}

model::ProviderConfig translate(const Snapshot& snap, const IngressOptions& opt,
                                std::vector<IngressReport>* reports) {
  return translate(snap, Index(snap), opt, reports);
}

model::ProviderConfig translate(const Snapshot& snap, const Index& index, const IngressOptions& opt,
                                std::vector<IngressReport>* reports) {
  std::vector<const Ingress*> sorted;
  for (const auto& ing : snap.ingresses) sorted.push_back(&ing);
  std::sort(sorted.begin(), sorted.end(), [](const Ingress* a, const Ingress* b) {
    return std::tie(a->meta.ns, a->meta.name) < std::tie(b->meta.ns, b->meta.name);
  });
  model::ProviderConfig out;
  Builder builder(index, out);
  Certificates certs(index);
  struct Served {
    const Ingress* ing;
    std::size_t first, end;  // Its routers.
    std::vector<std::string> problems;
    bool write_status = true;
  };
  std::vector<Served> served;
  std::vector<const Ingress*> nginx_class;
  for (const Ingress* ing : sorted) {
    if (is_ours(*ing, snap, opt)) {
      const std::size_t first = out.routers.size();
      builder.add(*ing);
      served.push_back({ing, first, out.routers.size(), {}, true});
      certs.add(*ing);
    } else if (nginx::is_nginx(*ing, snap, opt.nginx)) {
      nginx_class.push_back(ing);
      certs.add(*ing);
    } else if (reports) {
      reports->push_back({ing->meta, false, ing->status, {}});
    }
  }
  if (opt.nginx.enabled) {
    const auto settings = nginx::read_settings(nginx::settings_map(snap, opt.nginx));
    if (!opt.nginx.configmap.empty() && settings.source.empty()) {
      out.diagnostics.push_back({"configmap", opt.nginx.configmap,
                                 "not found: ingress-nginx's defaults apply (proxy-body-size 1m, "
                                 "ssl-redirect true, ...)",
                                 true});
    }
    for (const auto& f : settings.findings) {
      out.diagnostics.push_back({"configmap", opt.nginx.configmap, f.annotation + ": " + f.message,
                                 !nginx::closes_routes(f)});
    }
    for (auto& f : nginx::translate(nginx_class, settings, index, out)) {
      const auto& meta = f.ingress->meta;
      std::vector<std::string> problems;
      for (const auto& x : f.findings) {
        const std::string text = "annotation " + x.annotation + ": " + x.message;
        if (x.kind == nginx::Finding::Kind::kPartly) {
          out.diagnostics.push_back(
              {"ingress", meta.ns + "/" + meta.name, "partly supported: " + text, true});
          continue;
        }
        // Left out or refused: served without it (a warning); invalid or denied: its routes
        // answer 503 (as a rejection, so --check fails).
        out.diagnostics.push_back(
            {"ingress", meta.ns + "/" + meta.name, text, !nginx::closes_routes(x)});
        problems.push_back(where(*f.ingress) + ": " + text);
      }
      served.push_back(
          {f.ingress, f.first_router, f.end_router, std::move(problems), opt.nginx.write_status});
    }
  }
  if (reports) {
    std::map<std::string, const model::ConfigService*> services;
    for (const auto& svc : out.services) services[svc.name] = &svc;
    for (auto& s : served) {
      const Ingress& ing = *s.ing;
      IngressReport rep{ing.meta, true, ing.status, {}, s.write_status};
      auto note = [&](const std::string& problem) {
        if (!problem.empty() &&
            std::find(rep.problems.begin(), rep.problems.end(), problem) == rep.problems.end()) {
          rep.problems.push_back(problem);
        }
      };
      for (const auto& p : s.problems) note(p);
      for (std::size_t i = s.first; i < s.end; ++i) {
        for (const auto& e : out.routers[i].errors) note(e);
        if (auto svc = services.find(out.routers[i].service); svc != services.end()) {
          for (const auto& e : svc->second->errors) note(e);
        }
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
