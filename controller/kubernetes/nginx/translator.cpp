#include "controller/kubernetes/nginx/translator.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <set>

#include "controller/tls/key_pair.hpp"
#include "model/result.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::kubernetes::nginx {
namespace {

using Kind = Finding::Kind;
using model::Error;
using model::Result;

constexpr std::int64_t kHostExact = 3, kHostWildcard = 2, kHostAny = 1;
constexpr std::int64_t kHostWeight = 1'000'000'000;
constexpr std::int64_t kDefaultBackendPriority = 2;
// Within a host: 8 per path character, +4 for Exact (nginx's `=` locations come first), +3 and
// +2 for the canary's header and cookie routes over their path's own.
constexpr std::int64_t kPerChar = 8, kExact = 4, kCanaryHeader = 3, kCanaryCookie = 2;

std::string dotted(const Ingress& ing, const std::string& what) {
  return ing.meta.ns + "." + ing.meta.name + "." + what;
}

std::string port_of(const IngressBackend& b) {
  return b.port_name.empty() ? std::to_string(b.port_number) : b.port_name;
}

// `text` with every nginx variable named in `vars` replaced by its value; another variable is
// an error naming it (Wharf evaluates no nginx expressions).
Result<std::string> resolve_vars(const std::string& text,
                                 const std::map<std::string, std::string>& vars,
                                 const std::function<std::string(std::string_view)>& literal) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$') {
      std::size_t next = text.find('$', i);
      if (next == std::string::npos) next = text.size();
      out += literal(std::string_view(text).substr(i, next - i));
      i = next;
      continue;
    }
    std::size_t start = i + 1;
    std::size_t end = start;
    bool braced = start < text.size() && text[start] == '{';
    if (braced) {
      end = text.find('}', start);
      if (end == std::string::npos) return Error{"unterminated ${ in '" + text + "'"};
      ++start;
    } else {
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
      }
    }
    std::string name = text.substr(start, end - start);
    auto it = vars.find(name);
    if (it == vars.end()) {
      return Error{name.empty() ? "a lone '$'"
                                : "the nginx variable $" + name + ", which Wharf cannot evaluate"};
    }
    out += it->second;
    i = braced ? end + 1 : end;
  }
  return out;
}

// Literal text inside a Perl-format replacement (redirectregex, replacepathregex).
std::string perl_literal(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '$' || c == '\\')
      out += c == '$' ? "$$" : "\\\\";
    else
      out += c;
  }
  return out;
}

std::string regex_literal(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string as_is(std::string_view s) {
  return std::string(s);
}

// The URL redirectregex sees: scheme://host[:port]/path?query. Its groups name the parts nginx
// variables stand for.
constexpr const char* kUrlRegex =
    R"(^([^:]+)://(\[[^\]]*\]|[^/?:]*)(:[0-9]*)?((/[^?]*)(?:\?(.*))?)$)";
const std::map<std::string, std::string> kUrlVars = {
    {"scheme", "${1}"},       {"host", "${2}"},        {"http_host", "${2}${3}"},
    {"server_name", "${2}"},  {"request_uri", "${4}"}, {"uri", "${5}"},
    {"document_uri", "${5}"}, {"args", "${6}"},        {"query_string", "${6}"},
};

// The placeholders forwardauth's authSigninURL fills in per request.
const std::map<std::string, std::string> kSigninVars = {
    {"scheme", "{scheme}"},
    {"pass_access_scheme", "{scheme}"},
    {"host", "{host}"},
    {"http_host", "{host}"},
    {"best_http_host", "{host}"},
    {"request_uri", "{uri}"},
    {"escaped_request_uri", "{escaped_uri}"},
};

// A middleware's options as the routing table carries them.
struct MiddlewareOptions : std::vector<std::pair<std::string, std::string>> {
  void set(std::string key, std::string value) { emplace_back(std::move(key), std::move(value)); }
};

struct Route {
  std::string host;  // As in the rule; empty: every host.
  const IngressPath* path = nullptr;
  std::string field;
};

struct Canary {
  const Ingress* ing;
  const Annotations* ann;
  const IngressBackend* backend;
  std::string field;
  bool used = false;
};

class Translator {
 public:
  Translator(const Snapshot& snap, const Settings& settings, const Index& index,
             model::ProviderConfig& out)
      : settings_(settings), index_(index), out_(out) {
    for (const auto& s : snap.secrets) secrets_[s.meta.ns + "/" + s.meta.name] = &s;
  }

  std::vector<IngressFindings> run(const std::vector<const Ingress*>& ingresses) {
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

 private:
  // Hosts whose paths are all regexes, hosts with a TLS section, and the canaries by route.
  void prepare(const std::vector<const Ingress*>& ingresses, const std::vector<Annotations>& anns) {
    for (std::size_t k = 0; k < ingresses.size(); ++k) {
      const Ingress& ing = *ingresses[k];
      const Annotations& a = anns[k];
      for (const auto& t : ing.tls) {
        for (const auto& h : t.hosts) tls_hosts_.insert(h);
      }
      for (std::size_t i = 0; i < ing.rules.size(); ++i) {
        const auto& rule = ing.rules[i];
        for (std::size_t j = 0; j < rule.paths.size(); ++j) {
          const auto& p = rule.paths[j];
          if (a.canary.enabled) {
            canaries_.emplace(rule.host + "\n" + path_of(p),
                              Canary{&ing, &a, &p.backend, field(ing, i, j), false});
            continue;
          }
          if (a.use_regex || needs_rewrite(a, p)) regex_hosts_.insert(rule.host);
        }
      }
    }
  }

  static std::string path_of(const IngressPath& p) { return p.path.empty() ? "/" : p.path; }
  static bool needs_rewrite(const Annotations& a, const IngressPath& p) {
    return a.rewrite_target && !a.rewrite_target->empty() && *a.rewrite_target != path_of(p);
  }
  static std::string field(const Ingress& ing, std::size_t i, std::size_t j) {
    return "spec.rules[" + std::to_string(i) + "].http.paths[" + std::to_string(j) + "]";
  }

  void problem(const std::string& annotation, Kind kind, const std::string& message) {
    findings_.push_back({std::string(kPrefix) + annotation, kind, message});
  }

  bool closed() const { return std::any_of(findings_.begin(), findings_.end(), closes_routes); }

  // A canary's own annotations other than the canary, affinity and load-balance ones are the
  // main Ingress's business, as ingress-nginx ignores them there.
  void canary_findings(const Annotations& a) {
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

  void report(IngressFindings& f) {
    for (const auto& x : findings_) {
      if (std::find(f.findings.begin(), f.findings.end(), x) == f.findings.end()) {
        f.findings.push_back(x);
      }
    }
  }

  // ---- One main Ingress ----

  void add(const Ingress& ing, const Annotations& a) {
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
    }
    // Decided once every route is made: a problem found on the last one closes the first too.
    if (closed()) {
      for (std::size_t i = first; i < out_.routers.size(); ++i) {
        out_.routers[i].middlewares.clear();
        out_.routers[i].service = closed_service(ing);
      }
    }
  }

  struct Middlewares {
    std::vector<std::string> before;  // redirects, CORS, limits, access, auth, body size
    std::vector<std::string> after;   // upstream headers, error pages
    std::string ssl_redirect, hsts;
    bool force_ssl = false;
    const ExternalAuth* external_auth = nullptr;  // auth-url, else global-auth-url
    std::string body_size;                        // Last before the server.
  };

  Middlewares middlewares(const Ingress& ing, const Annotations& a) {
    Middlewares m;
    if (a.redirect) redirect(ing, *a.redirect, m);
    if (!a.app_root.empty()) {
      MiddlewareOptions o;
      o.set("regex", R"(^([^:]+://[^/?]*)/(\?.*)?$)");
      o.set("replacement", "${1}" + perl_literal(a.app_root));
      o.set("statuscode", "302");
      m.before.push_back(middleware(ing, "app-root", "redirectregex", o));
    }
    if (settings_.hsts) {
      MiddlewareOptions o;
      o.set("stsseconds", std::to_string(settings_.hsts_max_age));
      if (settings_.hsts_include_subdomains) o.set("stsincludesubdomains", "true");
      if (settings_.hsts_preload) o.set("stspreload", "true");
      m.hsts = middleware(ing, "hsts", "headers", o);
    }
    const bool ssl = a.ssl_redirect.value_or(settings_.ssl_redirect);
    const bool force = a.force_ssl_redirect.value_or(settings_.force_ssl_redirect);
    if (ssl || force) {
      MiddlewareOptions o;
      o.set("scheme", "https");
      o.set("statuscode", std::to_string(settings_.redirect_code));
      m.ssl_redirect = middleware(ing, "ssl-redirect", "redirectscheme", o);
      m.force_ssl = force;
    }
    if (a.cors) cors(ing, *a.cors, m);
    limits(ing, a, m);
    auto deny = a.deny ? *a.deny : settings_.deny;
    auto allow = a.allow ? *a.allow : settings_.allow;
    if (!deny.empty()) {
      MiddlewareOptions o;
      o.set("sourcerange", text::join(deny, ","));
      m.before.push_back(middleware(ing, "denylist", "ipdenylist", o));
    }
    if (!allow.empty()) {
      MiddlewareOptions o;
      o.set("sourcerange", text::join(allow, ","));
      m.before.push_back(middleware(ing, "allowlist", "ipallowlist", o));
    }
    if (a.basic_auth) basic_auth(ing, *a.basic_auth, m);
    if (a.external_auth) {
      m.external_auth = &*a.external_auth;
    } else if (settings_.global_auth && !global_auth_off(ing)) {
      m.external_auth = &*settings_.global_auth;
    }
    if (const std::uint64_t body = a.body_size.value_or(settings_.body_size); body > 0) {
      MiddlewareOptions o;
      o.set("maxrequestbodybytes", std::to_string(body));
      m.body_size = middleware(ing, "body-size", "buffering", o);
    }
    MiddlewareOptions h;
    if (!a.upstream_vhost.empty()) {
      if (a.upstream_vhost.find_first_of("$ \r\n") != std::string::npos) {
        problem("upstream-vhost", Kind::kInvalid,
                "'" + a.upstream_vhost +
                    "': expected a host name (nginx variables are not "
                    "evaluated)");
      }
      h.set("customrequestheaders.host", a.upstream_vhost);
    }
    if (!a.x_forwarded_prefix.empty()) {
      h.set("customrequestheaders.x-forwarded-prefix", a.x_forwarded_prefix);
    }
    if (!h.empty()) m.after.push_back(middleware(ing, "headers", "headers", h));
    if (!a.custom_http_errors.empty()) errors(ing, a, m);
    return m;
  }

  static bool global_auth_off(const Ingress& ing) {
    auto it = ing.meta.annotations.find(std::string(kPrefix) + "enable-global-auth");
    return it != ing.meta.annotations.end() && it->second == "false";
  }

  std::string middleware(const Ingress& ing, const std::string& what, const std::string& type,
                         const MiddlewareOptions& options) {
    model::ConfigMiddleware m;
    m.name = dotted(ing, what);
    m.type = type;
    m.options = options;
    m.source = where(ing);
    out_.middlewares.push_back(std::move(m));
    return out_.middlewares.back().name;
  }

  void redirect(const Ingress& ing, const Redirect& r, Middlewares& m) {
    const char* name = r.code == 302 || r.code == 303 || r.code == 307 ? "temporal-redirect"
                                                                       : "permanent-redirect";
    auto url = resolve_vars(r.url, kUrlVars, perl_literal);
    if (!url) {
      problem(name, Kind::kInvalid, "'" + r.url + "': " + url.error());
      return;
    }
    MiddlewareOptions o;
    o.set("regex", kUrlRegex);
    o.set("replacement", *url);
    o.set("statuscode", std::to_string(r.code));
    m.before.push_back(middleware(ing, "redirect", "redirectregex", o));
  }

  void cors(const Ingress& ing, const Cors& c, Middlewares& m) {
    MiddlewareOptions o;
    std::vector<std::string> exact, patterns;
    for (const auto& origin : c.origins) {
      auto star = origin.find("://*.");
      if (star == std::string::npos) {
        exact.push_back(origin);
      } else {
        // "https://*.example.com[:port]": one label, as ingress-nginx matches it.
        patterns.push_back("^" + regex_literal(origin.substr(0, star + 3)) + "[^.]+" +
                           regex_literal(origin.substr(star + 4)) + "$");
      }
    }
    if (!exact.empty()) o.set("accesscontrolalloworiginlist", text::join(exact, ","));
    if (!patterns.empty()) o.set("accesscontrolalloworiginlistregex", text::join(patterns, ","));
    o.set("accesscontrolallowmethods", text::join(c.methods, ","));
    o.set("accesscontrolallowheaders", text::join(c.headers, ","));
    if (!c.expose.empty()) o.set("accesscontrolexposeheaders", text::join(c.expose, ","));
    o.set("accesscontrolallowcredentials", c.credentials ? "true" : "false");
    o.set("accesscontrolmaxage", std::to_string(c.max_age));
    o.set("addvaryheader", "true");
    m.before.push_back(middleware(ing, "cors", "headers", o));
  }

  // In ingress-nginx's order: connections, then requests per minute, then per second.
  void limits(const Ingress& ing, const Annotations& a, Middlewares& m) {
    const auto& l = a.limits;
    if (l.connections) {
      MiddlewareOptions o;
      o.set("amount", std::to_string(l.connections));
      o.set("rejectstatuscode", std::to_string(settings_.limit_conn_status));
      m.before.push_back(middleware(ing, "limit-connections", "inflightreq", o));
    }
    for (auto [n, period, what] :
         {std::tuple{l.rpm, "1m", "limit-rpm"}, std::tuple{l.rps, "1s", "limit-rps"}}) {
      if (!n) continue;
      MiddlewareOptions o;
      o.set("average", std::to_string(n));
      o.set("period", period);
      o.set("burst", std::to_string(n * l.burst_multiplier));
      o.set("rejectstatuscode", std::to_string(settings_.limit_req_status));
      m.before.push_back(middleware(ing, what, "ratelimit", o));
    }
  }

  const Secret* secret(const std::string& ns, const std::string& name) const {
    auto it = secrets_.find(ns + "/" + name);
    return it == secrets_.end() ? nullptr : it->second;
  }

  void basic_auth(const Ingress& ing, const BasicAuth& b, Middlewares& m) {
    if (b.secret_name.empty()) return;  // Reported by the annotation reader.
    const std::string ref = b.secret_ns + "/" + b.secret_name;
    const Secret* s = secret(b.secret_ns, b.secret_name);
    std::vector<std::string> users;
    if (!s) {
      problem("auth-secret", Kind::kInvalid,
              "secret " + ref + " not found (the routes answer 503 until it exists)");
      return;
    }
    if (!s->problem.empty()) {
      problem("auth-secret", Kind::kInvalid, "secret " + ref + ": " + s->problem);
      return;
    }
    if (b.auth_map) {
      for (const auto& [user, hash] : s->data) users.push_back(user + ":" + hash);
    } else {
      auto it = s->data.find("auth");
      if (it == s->data.end()) {
        problem("auth-secret", Kind::kInvalid,
                "secret " + ref +
                    " has no key 'auth' (an htpasswd file; or set auth-secret-type "
                    "auth-map)");
        return;
      }
      std::string_view rest = it->second;
      while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string line(rest.substr(0, nl));
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line.front() != '#') users.push_back(line);
        rest = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
      }
    }
    if (users.empty()) {
      problem("auth-secret", Kind::kInvalid, "secret " + ref + " lists no users");
      return;
    }
    for (const auto& u : users) {
      if (u.find(',') != std::string::npos) {
        problem("auth-secret", Kind::kInvalid,
                "secret " + ref + ": an entry holds a comma, which no htpasswd hash has");
        return;
      }
    }
    MiddlewareOptions o;
    o.set("users", text::join(users, ","));
    if (!b.realm.empty()) o.set("realm", b.realm);
    m.before.push_back(middleware(ing, "basic-auth", "basicauth", o));
  }

  // The forwardauth middleware for routes of `host` (auth-url may name $host).
  std::string external_auth(const Ingress& ing, const ExternalAuth& e, const std::string& host) {
    const std::string annotation =
        settings_.global_auth && &e == &*settings_.global_auth ? "global-auth-url" : "auth-url";
    std::map<std::string, std::string> host_vars;
    if (!host.empty() && !host.starts_with("*.")) {
      host_vars = {{"host", host}, {"http_host", host}, {"best_http_host", host}};
    }
    auto url = resolve_vars(e.url, host_vars, as_is);
    if (!url) {
      problem(annotation, Kind::kInvalid,
              "'" + e.url + "': " + url.error() +
                  (host.empty() ? " (a rule without a host has no $host to fill in)" : ""));
      return {};
    }
    if (auto parsed = model::parse_server_url(*url); !parsed || parsed->h2c) {
      problem(annotation, Kind::kInvalid, "'" + *url + "': expected an http:// or https:// URL");
      return {};
    }
    std::string signin;
    if (!e.signin.empty()) {
      std::map<std::string, std::string> vars = kSigninVars;
      for (const auto& [k, v] : host_vars) vars[k] = v;
      auto s = resolve_vars(e.signin, vars, as_is);
      if (!s) {
        problem("auth-signin", Kind::kInvalid, "'" + e.signin + "': " + s.error());
        return {};
      }
      signin = *s;
      // As ingress-nginx: the original URL goes along in `rd` unless the URL names it.
      const std::string param = e.signin_param + "=";
      if (signin.find("?" + param) == std::string::npos &&
          signin.find("&" + param) == std::string::npos) {
        signin += (signin.find('?') == std::string::npos ? "?" : "&") + param +
                  "{scheme}://{host}{escaped_uri}";
      }
    }
    MiddlewareOptions o;
    o.set("address", *url);
    if (!e.response_headers.empty()) {
      o.set("authresponseheaders", text::join(e.response_headers, ","));
    }
    if (!e.method.empty()) o.set("method", e.method);
    o.set("originalheaders", "true");
    if (!e.request_redirect.empty()) o.set("authrequestredirect", e.request_redirect);
    if (!signin.empty()) o.set("authsigninurl", signin);
    const std::string what =
        host_vars.empty() || e.url.find('$') == std::string::npos ? "auth" : "auth-" + host;
    for (const auto& mw : out_.middlewares) {
      if (mw.name == dotted(ing, what)) return mw.name;
    }
    return middleware(ing, what, "forwardauth", o);
  }

  void errors(const Ingress& ing, const Annotations& a, Middlewares& m) {
    if (a.default_backend.empty()) {
      problem("custom-http-errors", Kind::kLeftOut,
              "not applied: it needs the default-backend annotation (Wharf has no global "
              "default backend)");
      return;
    }
    std::vector<std::string> codes;
    for (auto c : a.custom_http_errors) codes.push_back(std::to_string(c));
    MiddlewareOptions o;
    o.set("status", text::join(codes, ","));
    o.set("service", default_backend(ing, a));
    o.set("query", "/");
    o.set("requestheaders.x-code", "{status}");
    o.set("requestheaders.x-format", "{accept}");
    o.set("requestheaders.x-original-uri", "{uri}");
    o.set("requestheaders.x-namespace", ing.meta.ns);
    o.set("requestheaders.x-ingress-name", ing.meta.name);
    m.after.push_back(middleware(ing, "custom-http-errors", "errors", o));
  }

  // The default-backend annotation's Service, on its first port (ingress-nginx's choice).
  std::string default_backend(const Ingress& ing, const Annotations& a) {
    const std::string name = dotted(ing, "default-backend");
    if (made_.count(name)) return name;
    IngressBackend b;
    b.service = a.default_backend;
    if (const Service* svc = index_.service(ing.meta.ns, a.default_backend);
        svc && !svc->ports.empty()) {
      if (svc->ports.front().name.empty()) {
        b.port_number = svc->ports.front().port;
      } else {
        b.port_name = svc->ports.front().name;
      }
    } else {
      problem("default-backend", Kind::kInvalid,
              "service " + ing.meta.ns + "/" + a.default_backend + " not found or has no port");
    }
    made_[name] = out_.services.size();
    out_.services.push_back(
        backend_service(index_, ing.meta.ns, b, where(ing) + " annotation default-backend", name));
    return name;
  }

  // ---- Services ----

  std::string scheme(const Annotations& a) const {
    const auto& p = a.backend_protocol;
    if (p == "HTTPS" || p == "GRPCS" || a.ssl_passthrough) return "https";
    if (p == "GRPC" || p == "H2C") return "h2c";
    if (p == "HTTP") return "http";
    return {};  // The Service's own (appProtocol).
  }

  std::string service(const Ingress& ing, const Annotations& a, const IngressBackend& b,
                      const std::string& field) {
    const std::string name = dotted(ing, b.service + "." + port_of(b));
    if (made_.count(name)) return name;
    auto s = backend_service(index_, ing.meta.ns, b, where(ing) + " " + field, name, scheme(a));
    if (s.servers.empty() && !a.default_backend.empty()) {
      // "handles the response when the configured service has no active endpoints"
      const auto& fallback = out_.services[made_.at(default_backend(ing, a))];
      s.servers = fallback.servers;
    }
    shape(ing, a, s);
    made_[name] = out_.services.size();
    out_.services.push_back(std::move(s));
    return name;
  }

  // Timeouts, stickiness, balancing and TLS to the servers.
  void shape(const Ingress& ing, const Annotations& a, model::ConfigService& s) {
    model::ServiceTimeouts t;
    auto ms = [](std::uint32_t seconds) {
      return std::max<std::uint32_t>(seconds, 1) * std::uint32_t{1000};
    };
    t.connect_ms = ms(a.connect_timeout_s.value_or(settings_.connect_timeout_s));
    const std::uint32_t read = ms(a.read_timeout_s.value_or(settings_.read_timeout_s));
    t.response_header_ms = read;
    t.body_idle_ms = read;
    // nginx's read timeout also ends an idle websocket; Wharf keeps its own longer default
    // (an hour) unless the Ingress asks for longer still.
    t.tunnel_idle_ms = std::max(t.tunnel_idle_ms, read);
    s.timeouts = t;
    if (a.affinity) {
      model::StickyCookie c;
      c.name = a.affinity->name;
      c.secure = a.affinity->secure;
      c.http_only = true;
      c.same_site = a.affinity->same_site;
      c.max_age = a.affinity->max_age;
      c.path = a.affinity->path.empty() ? "/" : a.affinity->path;
      s.sticky = c;
    }
    if (a.load_balance == "ewma") s.strategy = "p2c";
    if (scheme(a) == "https" || a.proxy_ssl) s.transport = transport(ing, a);
  }

  // TLS to the servers as nginx does it: not verified unless proxy-ssl-verify is on.
  std::string transport(const Ingress& ing, const Annotations& a) {
    const std::string name = dotted(ing, "tls");
    for (const auto& t : out_.transports) {
      if (t.name == name) return name;
    }
    model::ConfigTransport t;
    t.name = name;
    t.source = where(ing);
    t.insecure_skip_verify = !(a.proxy_ssl && a.proxy_ssl->verify);
    t.disable_http2 = a.backend_protocol != "GRPCS";
    if (a.proxy_ssl) {
      t.server_name = a.proxy_ssl->name;
      if (!a.proxy_ssl->secret_name.empty()) {
        const std::string ref = a.proxy_ssl->secret_ns + "/" + a.proxy_ssl->secret_name;
        const Secret* s = secret(a.proxy_ssl->secret_ns, a.proxy_ssl->secret_name);
        if (!s || !s->problem.empty()) {
          problem("proxy-ssl-secret", Kind::kInvalid,
                  "secret " + ref + (s ? ": " + s->problem : " not found"));
        } else {
          // Checked here: a bad PEM reaching the data plane would get the whole table refused.
          if (auto ca = s->data.find("ca.crt"); ca != s->data.end()) {
            if (auto ok = tls::check_ca_bundle(ca->second, "ca.crt"); ok) {
              t.root_cas = {ca->second};
            } else {
              problem("proxy-ssl-secret", Kind::kInvalid, "secret " + ref + ": " + ok.error());
            }
          }
          if (!s->tls_crt.empty() || !s->tls_key.empty()) {
            if (auto ok = tls::check_key_pair(s->tls_crt, s->tls_key, "tls.crt", "tls.key"); ok) {
              t.cert_pem = s->tls_crt;
              t.key_pem = s->tls_key;
            } else {
              problem("proxy-ssl-secret", Kind::kInvalid, "secret " + ref + ": " + ok.error());
            }
          }
          if (a.proxy_ssl->verify && t.root_cas.empty()) {
            problem("proxy-ssl-verify", Kind::kInvalid,
                    "secret " + ref + " has no ca.crt to verify the servers with");
          }
        }
      } else if (a.proxy_ssl->verify) {
        problem("proxy-ssl-verify", Kind::kPartly,
                "no proxy-ssl-secret: servers are verified against the system's trust store");
      }
    }
    out_.transports.push_back(std::move(t));
    return name;
  }

  // ---- Routers ----

  std::string host_rule(const std::string& host, const Annotations& a) {
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

  void route(const Ingress& ing, const Annotations& a, const Middlewares& m, const Route& r,
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
    const std::int64_t host_class = r.host.empty()             ? kHostAny
                                    : r.host.starts_with("*.") ? kHostWildcard
                                                               : kHostExact;
    const std::string base = r.host.empty() ? path_rule : host_rule(r.host, a) + " && " + path_rule;
    const std::int64_t priority = host_class * kHostWeight + weight;
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

  std::string rewrite(const Ingress& ing, const Annotations& a, const std::string& path,
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

  void canary(const Ingress& ing, const Annotations& a, const Middlewares& m,
              const std::vector<std::string>& after, const Route& r, const std::string& suffix,
              const std::string& base, std::int64_t priority, std::string& main_service,
              Canary& c) {
    c.used = true;
    const Canary& cn = c;
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

  // One service whose servers are both services' servers, weighted so that `weight` of every
  // `total` requests reach the canary (smooth weighted round robin makes that exact).
  std::string weighted(const std::string& main, const std::string& canary, std::uint64_t weight,
                       std::uint64_t total) {
    const std::string name = main + "+canary";
    if (made_.count(name)) return name;
    model::ConfigService s = out_.services[made_.at(main)];
    const auto& c = out_.services[made_.at(canary)];
    s.name = name;
    const std::uint64_t nm = std::max<std::size_t>(s.servers.size(), 1);
    const std::uint64_t nc = std::max<std::size_t>(c.servers.size(), 1);
    std::uint64_t wm = (total - weight) * nc, wc = weight * nm;
    const std::uint64_t g = std::gcd(wm, wc);
    if (g > 0) wm /= g, wc /= g;
    if (weight >= total || s.servers.empty()) s.servers.clear();
    for (auto& server : s.servers) server.weight = static_cast<std::uint32_t>(wm);
    if (weight < total && c.servers.empty()) {
      // A canary without endpoints takes no share (its requests would all fail).
    } else {
      for (auto server : c.servers) {
        server.weight = static_cast<std::uint32_t>(weight >= total ? 1 : wc);
        s.servers.push_back(server);
      }
    }
    s.errors.insert(s.errors.end(), c.errors.begin(), c.errors.end());
    made_[name] = out_.services.size();
    out_.services.push_back(std::move(s));
    return name;
  }

  void emit(const Ingress& ing, const Annotations& a, const Middlewares& m, const Route& r,
            const std::string& suffix, const std::string& rule, std::int64_t priority,
            const std::string& service, std::vector<std::string> after = {}) {
    if (after.empty()) after = m.after;
    std::vector<std::string> chain = m.before;
    if (m.external_auth) {
      if (auto auth = external_auth(ing, *m.external_auth, r.host); !auth.empty()) {
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
    if (!m.hsts.empty() && tls_hosts_.count(r.host))
      tls.middlewares.insert(tls.middlewares.begin(), m.hsts);
    // ssl-redirect when the host has a certificate of its own; force-ssl-redirect always.
    if (!m.ssl_redirect.empty() && (m.force_ssl || tls_hosts_.count(r.host))) {
      http.middlewares.insert(http.middlewares.begin() + redirects(a), m.ssl_redirect);
    }
    out_.routers.push_back(std::move(http));
    out_.routers.push_back(std::move(tls));
  }

  // The ssl redirect comes after permanent/temporal-redirect and app-root (nginx's `return`
  // runs in the rewrite phase before the Lua redirect).
  static std::ptrdiff_t redirects(const Annotations& a) {
    return (a.redirect ? 1 : 0) + (a.app_root.empty() ? 0 : 1);
  }

  // A service without servers (503) for the routes of an Ingress that cannot be served safely.
  std::string closed_service(const Ingress& ing) {
    const std::string name = dotted(ing, "closed");
    if (!made_.count(name)) {
      model::ConfigService s;
      s.name = name;
      s.source = where(ing) + ": closed, an annotation could not be applied";
      made_[name] = out_.services.size();
      out_.services.push_back(std::move(s));
    }
    return name;
  }

  const Settings& settings_;
  const Index& index_;
  model::ProviderConfig& out_;
  std::map<std::string, const Secret*> secrets_;
  std::set<std::string> regex_hosts_, tls_hosts_;
  std::map<std::string, Canary> canaries_;
  std::map<std::string, std::size_t> made_;  // Service name → index in out_.services.
  std::vector<Finding> findings_;            // The current Ingress's.
};

}  // namespace

bool is_nginx(const Ingress& ing, const Snapshot& snap, const Options& opt) {
  if (!opt.enabled) return false;
  auto nginx_class = [](const IngressClass& c) { return c.controller == kControllerName; };
  if (!ing.class_name.empty()) {
    if (ing.class_name == opt.ingress_class) return true;
    for (const auto& c : snap.classes) {
      if (c.meta.name == ing.class_name) return nginx_class(c);
    }
    return false;
  }
  auto legacy = ing.meta.annotations.find("kubernetes.io/ingress.class");
  if (legacy != ing.meta.annotations.end()) return legacy->second == opt.ingress_class;
  if (opt.without_class) return true;
  return std::any_of(snap.classes.begin(), snap.classes.end(),
                     [&](const IngressClass& c) { return nginx_class(c) && c.is_default; });
}

const ConfigMap* settings_map(const Snapshot& snap, const Options& opt) {
  if (opt.configmap.empty()) return nullptr;
  for (const auto& m : snap.config_maps) {
    if (m.meta.ns + "/" + m.meta.name == opt.configmap) return &m;
  }
  return nullptr;
}

std::vector<IngressFindings> translate(const Snapshot& snap,
                                       const std::vector<const Ingress*>& ingresses,
                                       const Settings& settings, const Index& index,
                                       model::ProviderConfig& out) {
  return Translator(snap, settings, index, out).run(ingresses);
}

}  // namespace wharf::controller::kubernetes::nginx
