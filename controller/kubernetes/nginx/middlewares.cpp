#include "controller/kubernetes/nginx/builder.hpp"

#include "controller/kubernetes/nginx/variables.hpp"
#include "controller/tls/key_pair.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::kubernetes::nginx {
namespace {

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

}  // namespace

Builder::Middlewares Builder::middlewares(const Ingress& ing, const Annotations& a) {
  Middlewares m;
  if (a.redirect) redirect(ing, *a.redirect, m);
  if (!a.app_root.empty()) {
    MiddlewareOptions o;
    o.set("regex", R"(^([^:]+://[^/?]*)/(\?.*)?$)");
    o.set("replacement", "${1}" + perl_literal(a.app_root));
    o.set("statuscode", "302");
    m.before.push_back(middleware(ing, "app-root", "redirectregex", o));
  }
  // Made by emit() for the routes they apply to (hosts with a TLS section, or forced).
  if (settings_.hsts) {
    m.hsts.set("stsseconds", std::to_string(settings_.hsts_max_age));
    if (settings_.hsts_include_subdomains) m.hsts.set("stsincludesubdomains", "true");
    if (settings_.hsts_preload) m.hsts.set("stspreload", "true");
  }
  const bool ssl = a.ssl_redirect.value_or(settings_.ssl_redirect);
  m.force_ssl = a.force_ssl_redirect.value_or(settings_.force_ssl_redirect);
  if (ssl || m.force_ssl) {
    m.ssl_redirect.set("scheme", "https");
    m.ssl_redirect.set("statuscode", std::to_string(settings_.redirect_code));
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

bool Builder::global_auth_off(const Ingress& ing) {
  auto it = ing.meta.annotations.find(std::string(kPrefix) + "enable-global-auth");
  return it != ing.meta.annotations.end() && it->second == "false";
}

// Made once per name: routes of one Ingress share it.
std::string Builder::middleware(const Ingress& ing, const std::string& what,
                                const std::string& type, const MiddlewareOptions& options) {
  model::ConfigMiddleware m;
  m.name = dotted(ing, what);
  if (!middleware_names_.insert(m.name).second) return m.name;
  m.type = type;
  m.options = options;
  m.source = where(ing);
  out_.middlewares.push_back(std::move(m));
  return out_.middlewares.back().name;
}

void Builder::redirect(const Ingress& ing, const Redirect& r, Middlewares& m) {
  const char* name =
      r.code == 302 || r.code == 303 || r.code == 307 ? "temporal-redirect" : "permanent-redirect";
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

void Builder::cors(const Ingress& ing, const Cors& c, Middlewares& m) {
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
void Builder::limits(const Ingress& ing, const Annotations& a, Middlewares& m) {
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

void Builder::basic_auth(const Ingress& ing, const BasicAuth& b, Middlewares& m) {
  if (b.secret_name.empty()) return;  // Reported by the annotation reader.
  const std::string ref = b.secret_ns + "/" + b.secret_name;
  const Secret* s = index_.secret(b.secret_ns, b.secret_name);
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
std::string Builder::external_auth(const Ingress& ing, const ExternalAuth& e,
                                   const std::string& host, const std::string& suffix) {
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
      host_vars.empty() || e.url.find('$') == std::string::npos ? "auth" : "auth-" + suffix;
  return middleware(ing, what, "forwardauth", o);
}

void Builder::errors(const Ingress& ing, const Annotations& a, Middlewares& m) {
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

void Builder::client_auth(const Ingress& ing, const ClientAuth& c) {
  HostAuth h;
  h.owner = where(ing);
  h.required = c.verify == "on";
  const std::string ref = c.secret_ns + "/" + c.secret_name;
  const Secret* s = index_.secret(c.secret_ns, c.secret_name);
  auto ca = s ? s->data.find("ca.crt") : std::map<std::string, std::string>::const_iterator{};
  if (!s) {
    h.problem = "secret " + ref + " not found";
  } else if (ca == s->data.end()) {
    h.problem = "secret " + ref + " has no ca.crt";
  } else if (auto ok = tls::check_ca_bundle(ca->second, "ca.crt"); !ok) {
    h.problem = "secret " + ref + ": " + ok.error();
  } else {
    model::ConfigTlsOptions o;
    o.options.name = dotted(ing, "client-auth");
    o.options.client_auth = c.verify == "on"         ? "require_and_verify"
                            : c.verify == "optional" ? "verify_if_given"
                                                     : "request";
    o.options.client_cas = {ca->second};
    o.source = where(ing) + " annotation auth-tls-secret";
    h.options = o.options.name;
    out_.tls_options.push_back(std::move(o));
  }
  for (const auto& rule : ing.rules) {
    // Per host, as nginx applies it: the first Ingress naming one for a host decides.
    if (!rule.host.empty()) host_auth_.emplace(rule.host, h);
  }
}

}  // namespace wharf::controller::kubernetes::nginx
