#include "controller/kubernetes/nginx/builder.hpp"

#include "controller/kubernetes/ingress_class.hpp"
#include "controller/kubernetes/nginx/variables.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::kubernetes::nginx {
namespace {

// Within a host: 8 per path character, +4 for Exact (nginx's `=` locations come first), +3 and
// +2 for the canary's header and cookie routes over their path's own.
constexpr std::int64_t kPerChar = 8, kExact = 4, kCanaryHeader = 3, kCanaryCookie = 2;

}  // namespace

std::vector<IngressFindings> Builder::run(const std::vector<const Ingress*>& ingresses) {
  std::vector<Annotations> anns;
  anns.reserve(ingresses.size());
  for (const Ingress* ing : ingresses) anns.push_back(read_annotations(ing->meta));
  prepare(ingresses, anns);
  std::vector<IngressFindings> found;
  for (std::size_t k = 0; k < ingresses.size(); ++k) {
    findings_.clear();
    IngressFindings f{ingresses[k], out_.routers.size(), 0, {}};
    if (anns[k].canary.enabled) {
      canary_findings(anns[k]);
    } else {
      findings_ = anns[k].findings;
      add(*ingresses[k], anns[k]);
    }
    f.end_router = out_.routers.size();
    report(f);
    found.push_back(std::move(f));
  }
  // A canary with no main Ingress of the same host and path is not routed (as in
  // ingress-nginx); say so on the canary.
  for (auto& [key, c] : canaries_) {
    if (c.used) continue;
    for (auto& f : found) {
      if (f.ingress == c.ing) {
        f.findings.push_back({std::string(kPrefix) + "canary", Kind::kLeftOut,
                              c.field + ": no Ingress of this class serves this host and path, "
                                        "so the canary is not routed"});
      }
    }
  }
  return found;
}

// Hosts whose paths are all regexes, hosts with a TLS section, and the canaries by route.
void Builder::prepare(const std::vector<const Ingress*>& ingresses,
                      const std::vector<Annotations>& anns) {
  for (std::size_t k = 0; k < ingresses.size(); ++k) {
    const Ingress& ing = *ingresses[k];
    const Annotations& a = anns[k];
    if (a.client_auth && !a.canary.enabled) client_auth(ing, *a.client_auth);
    for (const auto& t : ing.tls) {
      for (const auto& h : t.hosts) tls_hosts_.insert(h);
    }
    for (const auto& rule : ing.rules) {
      if (!a.canary.enabled) hosts_.insert(rule.host);
    }
    for (std::size_t i = 0; i < ing.rules.size(); ++i) {
      const auto& rule = ing.rules[i];
      for (std::size_t j = 0; j < rule.paths.size(); ++j) {
        const auto& p = rule.paths[j];
        if (a.canary.enabled) {
          canaries_.emplace(rule.host + "\n" + path_of(p),
                            CanaryPath{&ing, &a, &p.backend, field(ing, i, j), false});
          continue;
        }
        if (a.use_regex || needs_rewrite(a, p)) regex_hosts_.insert(rule.host);
      }
    }
  }
}

bool Builder::needs_rewrite(const Annotations& a, const IngressPath& p) {
  return a.rewrite_target && !a.rewrite_target->empty() && *a.rewrite_target != path_of(p);
}

std::string Builder::field(const Ingress& ing, std::size_t i, std::size_t j) {
  return "spec.rules[" + std::to_string(i) + "].http.paths[" + std::to_string(j) + "]";
}

void Builder::problem(const std::string& annotation, Kind kind, const std::string& message) {
  findings_.push_back({std::string(kPrefix) + annotation, kind, message});
}

// A canary's own annotations other than the canary, affinity and load-balance ones are the
// main Ingress's business, as ingress-nginx ignores them there.
void Builder::canary_findings(const Annotations& a) {
  for (const auto& f : a.findings) {
    auto name = f.annotation.substr(kPrefix.size());
    if (name.starts_with("canary") || name.starts_with("affinity") ||
        name.starts_with("session-cookie") || name == "load-balance") {
      findings_.push_back(f);
    } else if (f.kind != Kind::kPartly) {
      findings_.push_back({f.annotation, Kind::kPartly,
                           "ignored on a canary Ingress: the main Ingress's annotations apply"});
    }
  }
}

void Builder::report(IngressFindings& f) {
  for (const auto& x : findings_) {
    if (std::find(f.findings.begin(), f.findings.end(), x) == f.findings.end()) {
      f.findings.push_back(x);
    }
  }
}

void Builder::add(const Ingress& ing, const Annotations& a) {
  const std::size_t first = out_.routers.size();
  Middlewares m = middlewares(ing, a);
  if (ing.default_backend) {
    Route r{"", nullptr, "spec.defaultBackend"};
    emit(ing, a, m, r, "default", "PathPrefix(`/`)", kDefaultBackendPriority,
         service(ing, a, *ing.default_backend, "spec.defaultBackend"));
  }
  for (std::size_t i = 0; i < ing.rules.size(); ++i) {
    const auto& rule = ing.rules[i];
    for (std::size_t j = 0; j < rule.paths.size(); ++j) {
      Route r{rule.host, &rule.paths[j], field(ing, i, j)};
      route(ing, a, m, r, "r" + std::to_string(i) + "-p" + std::to_string(j));
    }
    if (a.from_to_www) www_redirect(ing, rule.host, "r" + std::to_string(i));
  }
  // Decided once every route is made: a problem found on the last one closes the first too.
  if (closed()) {
    for (std::size_t i = first; i < out_.routers.size(); ++i) {
      out_.routers[i].middlewares.clear();
      out_.routers[i].service = closed_service(ing);
    }
  }
}

// from-to-www-redirect: the other name (with or without "www.") answers a redirect to the
// rule's host, keeping the path, unless an Ingress of the class serves that name itself.
void Builder::www_redirect(const Ingress& ing, const std::string& host, const std::string& suffix) {
  if (host.empty() || host.starts_with("*.")) return;
  const std::string other = host.starts_with("www.") ? host.substr(4) : "www." + host;
  if (hosts_.count(other)) return;
  MiddlewareOptions o;
  o.set("regex", R"(^([^:]+)://[^/]*((/[^?]*)(\?.*)?)$)");
  o.set("replacement", "${1}://" + perl_literal(host) + "${2}");
  o.set("statuscode", std::to_string(settings_.redirect_code));
  model::ConfigRouter http;
  http.name = dotted(ing, suffix + "-www");
  http.rule = "Host(`" + other + "`) && PathPrefix(`/`)";
  http.priority = host_precedence(other);  // Below every route of that host.
  http.service = serverless(ing, "www-redirect", "from-to-www-redirect answers every request");
  http.source = where(ing);
  http.middlewares = {middleware(ing, "www-redirect-" + suffix, "redirectregex", o)};
  model::ConfigRouter tls = http;
  tls.name += "-tls";
  tls.tls = true;
  out_.routers.push_back(std::move(http));
  out_.routers.push_back(std::move(tls));
}

std::string Builder::host_rule(const std::string& host, const Annotations& a) {
  std::vector<std::string> hosts{host};
  for (const auto& alias : a.server_alias) hosts.push_back(alias);
  std::vector<std::string> terms;
  for (const auto& h : hosts) {
    if (h.starts_with("*.")) {
      // nginx's `*.example.com` takes any number of labels in front.
      terms.push_back("HostRegexp(`^.+" + regex_literal(h.substr(1)) + "$`)");
    } else {
      terms.push_back("Host(`" + h + "`)");
    }
  }
  if (terms.size() == 1) return terms[0];
  return "(" + text::join(terms, " || ") + ")";
}

void Builder::route(const Ingress& ing, const Annotations& a, const Middlewares& m, const Route& r,
                    const std::string& suffix) {
  const IngressPath& p = *r.path;
  const std::string path = path_of(p);
  const bool regex = regex_hosts_.count(r.host) > 0;
  std::string bad;
  if (path.front() != '/' && !regex) bad = "'" + path + "' must begin with '/'";
  if (path.find('`') != std::string::npos) bad = "a backtick is not allowed in a path";
  if (!bad.empty()) {
    model::ConfigRouter broken;
    broken.name = dotted(ing, suffix);
    broken.source = where(ing);
    broken.errors.push_back(where(ing) + " " + r.field + ".path: " + bad);
    out_.routers.push_back(std::move(broken));
    return;
  }
  std::string path_rule;
  std::int64_t weight = static_cast<std::int64_t>(path.size()) * kPerChar;
  if (regex) {
    path_rule = "PathRegexp(`(?i)^" + path + "`)";
  } else if (p.path_type == "Exact") {
    path_rule = "Path(`" + path + "`)";
    weight += kExact;
  } else if (path == "/" || path.back() == '/') {
    path_rule = "PathPrefix(`" + path + "`)";
  } else {
    path_rule = "(Path(`" + path + "`) || PathPrefix(`" + path + "/`))";
  }
  const std::string base = r.host.empty() ? path_rule : host_rule(r.host, a) + " && " + path_rule;
  const std::int64_t priority = host_precedence(r.host) + weight;
  std::vector<std::string> after = m.after;
  if (needs_rewrite(a, p)) {
    if (auto rw = rewrite(ing, a, path, suffix); !rw.empty()) after.insert(after.begin(), rw);
  }
  std::string svc = service(ing, a, p.backend, r.field + ".backend");
  auto c = canaries_.find(r.host + "\n" + path);
  if (c != canaries_.end()) {
    canary(ing, a, m, after, r, suffix, base, priority, svc, c->second);
  }
  emit(ing, a, m, r, suffix, base, priority, svc, after);
}

std::string Builder::rewrite(const Ingress& ing, const Annotations& a, const std::string& path,
                             const std::string& suffix) {
  const std::string& target = *a.rewrite_target;
  // $1..$9 name the path's groups; any other nginx variable is not evaluated.
  std::map<std::string, std::string> groups;
  for (int g = 0; g <= 9; ++g) groups[std::to_string(g)] = "${" + std::to_string(g) + "}";
  auto replacement = resolve_vars(target, groups, perl_literal);
  if (!replacement) {
    problem("rewrite-target", Kind::kInvalid, "'" + target + "': " + replacement.error());
    return {};
  }
  if (target.find('?') != std::string::npos || target.find("://") != std::string::npos) {
    problem("rewrite-target", Kind::kInvalid,
            "'" + target + "': expected a path (a query or a URL is not supported)");
    return {};
  }
  // nginx's `rewrite "(?i)<path>" <target>` replaces the whole URI when the path matches.
  MiddlewareOptions o;
  o.set("regex", "(?i)^(?:" + path + ").*$");
  o.set("replacement", *replacement);
  return middleware(ing, "rewrite-" + suffix, "replacepathregex", o);
}

void Builder::canary(const Ingress& ing, const Annotations& a, const Middlewares& m,
                     const std::vector<std::string>& after, const Route& r,
                     const std::string& suffix, const std::string& base, std::int64_t priority,
                     std::string& main_service, CanaryPath& c) {
  c.used = true;
  const CanaryPath& cn = c;
  const auto& spec = cn.ann->canary;
  // The canary's service: its own backend, with its own affinity and balancing, the main
  // Ingress's timeouts and TLS.
  Annotations shaped = a;
  shaped.affinity = cn.ann->affinity;
  shaped.load_balance = cn.ann->load_balance;
  const std::string canary_service = service(*cn.ing, shaped, *cn.backend, cn.field + ".backend");
  auto extra = [&](const std::string& what, const std::string& match, std::int64_t bonus,
                   const std::string& to) {
    emit(ing, a, m, r, suffix + "-canary-" + what, base + " && " + match, priority + bonus, to,
         after);
  };
  if (!spec.by_header.empty()) {
    const std::string h = spec.by_header;
    if (!spec.header_value.empty()) {
      extra("header", "Header(`" + h + "`, `" + spec.header_value + "`)", kCanaryHeader,
            canary_service);
    } else if (!spec.header_pattern.empty()) {
      extra("header", "HeaderRegexp(`" + h + "`, `" + spec.header_pattern + "`)", kCanaryHeader,
            canary_service);
    } else {
      extra("header", "Header(`" + h + "`, `always`)", kCanaryHeader, canary_service);
      extra("header-never", "Header(`" + h + "`, `never`)", kCanaryHeader, main_service);
    }
  }
  if (!spec.by_cookie.empty()) {
    const std::string cookie =
        "HeaderRegexp(`Cookie`, `(^|;\\s*)" + regex_literal(spec.by_cookie) + "=";
    extra("cookie", cookie + "always(;|$)`)", kCanaryCookie, canary_service);
    extra("cookie-never", cookie + "never(;|$)`)", kCanaryCookie, main_service);
  }
  if (spec.weight && *spec.weight > 0) {
    main_service = weighted(main_service, canary_service, *spec.weight, spec.weight_total);
  }
}

void Builder::emit(const Ingress& ing, const Annotations& a, const Middlewares& m, const Route& r,
                   const std::string& suffix, const std::string& rule, std::int64_t priority,
                   const std::string& service, std::vector<std::string> after) {
  if (after.empty()) after = m.after;
  std::vector<std::string> chain = m.before;
  if (m.external_auth) {
    if (auto auth = external_auth(ing, *m.external_auth, r.host, suffix); !auth.empty()) {
      chain.push_back(auth);
    }
  }
  if (!m.body_size.empty()) chain.push_back(m.body_size);
  chain.insert(chain.end(), after.begin(), after.end());
  model::ConfigRouter http;
  http.name = dotted(ing, suffix);
  http.rule = rule;
  http.priority = priority;
  http.service = service;
  http.source = where(ing);
  http.middlewares = chain;
  model::ConfigRouter tls = http;
  tls.name += "-tls";
  tls.tls = true;
  if (!m.hsts.empty() && tls_hosts_.count(r.host)) {
    tls.middlewares.insert(tls.middlewares.begin(), middleware(ing, "hsts", "headers", m.hsts));
  }
  // ssl-redirect when the host has a certificate of its own; force-ssl-redirect always.
  const bool to_https = !m.ssl_redirect.empty() && (m.force_ssl || tls_hosts_.count(r.host));
  if (to_https) {
    http.middlewares.insert(http.middlewares.begin() + redirects(a),
                            middleware(ing, "ssl-redirect", "redirectscheme", m.ssl_redirect));
  }
  if (auto h = host_auth_.find(r.host); h != host_auth_.end()) {
    const HostAuth& auth = h->second;
    if (!auth.problem.empty()) {
      problem("auth-tls-secret", Kind::kInvalid,
              "host " + r.host + " requires client certificates (" + auth.owner +
                  "), which cannot be applied: " + auth.problem);
    }
    // The TLS router asks for the certificate; a client's own ssl-client-* headers never
    // reach the server (ingress-nginx set them; an app may trust them).
    tls.tls_options = auth.options;
    MiddlewareOptions strip;
    for (const char* name : {"ssl-client-cert", "ssl-client-verify", "ssl-client-subject-dn",
                             "ssl-client-issuer-dn"}) {
      strip.set(std::string("customrequestheaders.") + name, "");
    }
    const std::string strip_name = middleware(ing, "client-cert-headers", "headers", strip);
    tls.middlewares.insert(tls.middlewares.begin(), strip_name);
    http.middlewares.insert(http.middlewares.begin(), strip_name);
    // Plain HTTP carries no certificate: redirected to HTTPS, else refused (503).
    if (auth.required && !to_https) {
      http.middlewares.clear();
      http.service = closed_service(ing);
    }
  }
  out_.routers.push_back(std::move(http));
  out_.routers.push_back(std::move(tls));
}

// The ssl redirect comes after permanent/temporal-redirect and app-root (nginx's `return`
// runs in the rewrite phase before the Lua redirect).
std::ptrdiff_t Builder::redirects(const Annotations& a) {
  return (a.redirect ? 1 : 0) + (a.app_root.empty() ? 0 : 1);
}

// A service without servers (503) for the routes of an Ingress that cannot be served safely.
std::string Builder::closed_service(const Ingress& ing) {
  return serverless(ing, "closed", "closed, an annotation could not be applied");
}

// A service without servers, named `what`, saying why in its source.
std::string Builder::serverless(const Ingress& ing, const std::string& what,
                                const std::string& why) {
  const std::string name = dotted(ing, what);
  if (!made_.count(name)) {
    model::ConfigService s;
    s.name = name;
    s.source = where(ing) + ": " + why;
    made_[name] = out_.services.size();
    out_.services.push_back(std::move(s));
  }
  return name;
}

bool is_nginx(const Ingress& ing, const Snapshot& snap, const Options& opt) {
  return opt.enabled &&
         of_class(ing, snap, {kControllerName, opt.ingress_class, opt.without_class, true});
}

const ConfigMap* settings_map(const Snapshot& snap, const Options& opt) {
  if (opt.configmap.empty()) return nullptr;
  for (const auto& m : snap.config_maps) {
    if (m.meta.ns + "/" + m.meta.name == opt.configmap) return &m;
  }
  return nullptr;
}

std::vector<IngressFindings> translate(const std::vector<const Ingress*>& ingresses,
                                       const Settings& settings, const Index& index,
                                       model::ProviderConfig& out) {
  return Builder(settings, index, out).run(ingresses);
}

}  // namespace wharf::controller::kubernetes::nginx
