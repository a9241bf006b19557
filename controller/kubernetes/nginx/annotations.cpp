#include "controller/kubernetes/nginx/annotations.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include "model/ip.hpp"
#include "text/ascii.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::kubernetes::nginx {
namespace {

using Kind = Finding::Kind;

std::string trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\n' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\n' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return std::string(v);
}

// "name" → the Ingress's namespace; "ns/name" → as written.
std::pair<std::string, std::string> object_ref(const std::string& ns, const std::string& v) {
  auto slash = v.find('/');
  if (slash == std::string::npos) return {ns, v};
  return {v.substr(0, slash), v.substr(slash + 1)};
}

// Annotations that carry nginx configuration text. Never executed (CVE-2021-25742, CVE-2025-1974:
// a user string must not reach a configuration language); the routes are served without them.
constexpr std::string_view kSnippets[] = {"configuration-snippet", "server-snippet", "auth-snippet",
                                          "stream-snippet", "modsecurity-snippet"};

// Annotations Wharf does not carry, each with what happens instead. The routes are served.
const std::map<std::string_view, std::string_view>& left_out() {
  static const std::map<std::string_view, std::string_view> kLeftOut = {
      {"affinity-canary-behavior", "canary and main share no sticky session in Wharf"},
      {"auth-always-set-cookie", "the auth server's cookies reach the client only on a refusal"},
      {"auth-cache-duration", "auth answers are not cached: every request is asked about"},
      {"auth-cache-key", "auth answers are not cached: every request is asked about"},
      {"auth-keepalive", "connections to the auth server are always kept alive"},
      {"auth-keepalive-requests", "connections to the auth server are always kept alive"},
      {"auth-keepalive-share-vars", "not applicable"},
      {"auth-keepalive-timeout", "connections to the auth server are always kept alive"},
      {"auth-proxy-set-headers", "the auth request carries the client's headers as they are"},
      {"client-body-buffer-size", "Wharf never buffers a request body: it streams"},
      {"connection-proxy-header", "Wharf manages upstream connections itself"},
      {"custom-headers", "response headers from a ConfigMap are not read"},
      {"enable-access-log", "every request is logged to the data plane's access log"},
      {"enable-modsecurity", "Wharf has no web application firewall"},
      {"enable-opentelemetry", "Wharf does not export traces"},
      {"enable-owasp-core-rules", "Wharf has no web application firewall"},
      {"enable-rewrite-log", "not applicable"},
      {"http2-push-preload", "HTTP/2 server push is obsolete and not sent"},
      {"limit-allowlist", "the limits apply to every client"},
      {"limit-rate", "responses are not bandwidth-limited"},
      {"limit-rate-after", "responses are not bandwidth-limited"},
      {"limit-whitelist", "the limits apply to every client"},
      {"mirror-host", "requests are not mirrored"},
      {"mirror-request-body", "requests are not mirrored"},
      {"mirror-target", "requests are not mirrored"},
      {"modsecurity-transaction-id", "Wharf has no web application firewall"},
      {"opentelemetry-operation-name", "Wharf does not export traces"},
      {"opentelemetry-trust-incoming-span", "Wharf does not export traces"},
      {"preserve-trailing-slash", "the HTTPS redirect always keeps the path as it is"},
      {"proxy-buffer-size", "Wharf streams responses with its own bounded buffers"},
      {"proxy-buffers-number", "Wharf streams responses with its own bounded buffers"},
      {"proxy-busy-buffers-size", "Wharf streams responses with its own bounded buffers"},
      {"proxy-cookie-domain", "Set-Cookie is passed on unchanged"},
      {"proxy-cookie-path", "Set-Cookie is passed on unchanged"},
      {"proxy-http-version", "Wharf speaks HTTP/1.1 (or HTTP/2) to servers"},
      {"proxy-max-temp-file-size", "Wharf never buffers a response to disk"},
      {"proxy-next-upstream", "a failed request is not sent to another server"},
      {"proxy-next-upstream-timeout", "a failed request is not sent to another server"},
      {"proxy-next-upstream-tries", "a failed request is not sent to another server"},
      {"proxy-redirect-from", "Location is passed on unchanged"},
      {"proxy-redirect-to", "Location is passed on unchanged"},
      {"proxy-ssl-ciphers", "the servers transport's defaults are used"},
      {"proxy-ssl-protocols", "the servers transport's defaults (TLS 1.2 and 1.3) are used"},
      {"proxy-ssl-verify-depth", "the whole chain is verified"},
      {"relative-redirects", "not supported"},
      {"ssl-ciphers", "set ciphers with TLS options (docs/tls.md)"},
      {"ssl-prefer-server-ciphers", "set ciphers with TLS options (docs/tls.md)"},
      {"upstream-hash-by", "requests are balanced round robin instead"},
      {"upstream-hash-by-subset", "requests are balanced round robin instead"},
      {"upstream-hash-by-subset-size", "requests are balanced round robin instead"},
  };
  return kLeftOut;
}

class Reader {
 public:
  Reader(const ObjectMeta& meta, Annotations& out) : meta_(meta), out_(out) {
    for (const auto& [key, value] : meta.annotations) {
      if (key.starts_with(kPrefix)) values_[key.substr(kPrefix.size())] = trimmed(value);
    }
  }

  const std::string* get(const std::string& name) {
    auto it = values_.find(name);
    if (it == values_.end()) return nullptr;
    taken_.push_back(name);
    return &it->second;
  }

  void note(const std::string& name, Kind kind, std::string message) {
    out_.findings.push_back({std::string(kPrefix) + name, kind, std::move(message)});
  }
  void invalid(const std::string& name, const std::string& why) {
    note(name, Kind::kInvalid, "'" + values_[name] + "': " + why);
  }

  std::optional<bool> boolean(const std::string& name) {
    const std::string* v = get(name);
    if (!v) return {};
    auto b = parse_bool(*v);
    if (!b) invalid(name, "expected \"true\" or \"false\"");
    return b;
  }

  template <typename T>
  std::optional<T> number(const std::string& name, T max) {
    const std::string* v = get(name);
    if (!v) return {};
    auto n = parse_number<T>(*v, max);
    if (!n) invalid(name, "expected a whole number up to " + std::to_string(max));
    return n;
  }

  std::optional<std::uint32_t> seconds(const std::string& name) {
    const std::string* v = get(name);
    if (!v) return {};
    auto n = parse_seconds(*v);
    if (!n) invalid(name, "expected whole seconds, such as \"60\"");
    return n;
  }

  std::optional<std::vector<std::string>> ranges(const std::string& name) {
    const std::string* v = get(name);
    if (!v) return {};
    std::string bad;
    auto r = parse_ranges(*v, &bad);
    if (!r) invalid(name, "'" + bad + "' is not an IP address or CIDR range");
    return r;
  }

  // Every annotation nobody took: a snippet, one left out, or one ingress-nginx never had.
  // Annotations that only qualify another one (session-cookie-* without affinity, auth-signin
  // without auth-url...) change nothing without it, in ingress-nginx too: not reported.
  void rest() {
    static constexpr std::string_view kQualifiers[] = {
        "session-cookie-",       "affinity-mode",         "auth-signin", "auth-method",
        "auth-response-headers", "auth-request-redirect", "auth-secret", "auth-realm"};
    for (const auto& entry : values_) {
      const std::string& name = entry.first;  // A lambda cannot capture a structured binding.
      if (std::find(taken_.begin(), taken_.end(), name) != taken_.end()) continue;
      if (std::any_of(std::begin(kQualifiers), std::end(kQualifiers),
                      [&](std::string_view q) { return name.starts_with(q); })) {
        continue;
      }
      if (std::find(std::begin(kSnippets), std::end(kSnippets), name) != std::end(kSnippets)) {
        note(name, Kind::kRefused,
             "configuration text is never executed by Wharf; the routes are served without it");
      } else if (auto it = left_out().find(name); it != left_out().end()) {
        note(name, Kind::kLeftOut, "not supported: " + std::string(it->second));
      } else {
        note(name, Kind::kLeftOut, "unknown annotation");
      }
    }
  }

  const ObjectMeta& meta() const { return meta_; }

 private:
  const ObjectMeta& meta_;
  Annotations& out_;
  std::map<std::string, std::string> values_;  // Without the prefix.
  std::vector<std::string> taken_;
};

void read_paths(Reader& r, Annotations& a) {
  if (auto b = r.boolean("use-regex")) a.use_regex = *b;
  if (const auto* v = r.get("rewrite-target")) a.rewrite_target = *v;
  if (const auto* v = r.get("app-root")) {
    if (v->empty() || v->front() != '/' || v->find_first_of(" \t\r\n") != std::string::npos) {
      r.invalid("app-root", "expected a path beginning with '/'");
    } else {
      a.app_root = *v;
    }
  }
  if (const auto* v = r.get("server-alias")) a.server_alias = text::split_list(*v);
  if (auto b = r.boolean("from-to-www-redirect")) a.from_to_www = *b;
  if (const auto* v = r.get("x-forwarded-prefix")) a.x_forwarded_prefix = *v;
  if (const auto* v = r.get("upstream-vhost")) a.upstream_vhost = *v;
}

void read_redirects(Reader& r, Annotations& a) {
  a.ssl_redirect = r.boolean("ssl-redirect");
  a.force_ssl_redirect = r.boolean("force-ssl-redirect");
  // temporal-redirect first, as ingress-nginx reads them; a code out of range is the default.
  for (auto [name, fallback, max] : {std::tuple{"temporal-redirect", 302u, 307u},
                                     std::tuple{"permanent-redirect", 301u, 308u}}) {
    const std::string* url = r.get(name);
    auto code = r.number<unsigned>(std::string(name) + "-code", 999);
    if (!url || url->empty() || a.redirect) continue;
    if (url->find("://") == std::string::npos ||
        url->find_first_of(" \t\r\n") != std::string::npos) {
      r.invalid(name, "expected an absolute URL");
      continue;
    }
    unsigned c = code.value_or(fallback);
    if (c < 300 || c > max) c = fallback;
    if (c == 300 || c == 304 || c == 305 || c == 306) {
      r.note(std::string(name) + "-code", Kind::kPartly,
             std::to_string(c) + " is not a redirect Wharf sends; " + std::to_string(fallback) +
                 " is used");
      c = fallback;
    }
    a.redirect = Redirect{*url, c};
  }
}

void read_backend(Reader& r, Annotations& a) {
  if (const auto* v = r.get("backend-protocol")) {
    std::string p = *v;
    std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::toupper(c); });
    if (p == "HTTP" || p == "HTTPS" || p == "GRPC" || p == "GRPCS" || p == "H2C") {
      a.backend_protocol = p;
    } else if (p == "AUTO_HTTP" || p == "FCGI" || p == "AJP") {
      r.note("backend-protocol", Kind::kInvalid,
             "'" + *v + "': Wharf speaks HTTP, HTTPS, GRPC, GRPCS and H2C to servers");
    } else {
      r.invalid("backend-protocol", "expected HTTP, HTTPS, GRPC, GRPCS or H2C");
    }
  }
  if (const auto* v = r.get("proxy-body-size")) {
    a.body_size = parse_size(*v);
    if (!a.body_size) r.invalid("proxy-body-size", "expected a size such as 0, 8k, 50m or 1g");
  }
  a.connect_timeout_s = r.seconds("proxy-connect-timeout");
  a.read_timeout_s = r.seconds("proxy-read-timeout");
  a.send_timeout_s = r.seconds("proxy-send-timeout");
  if (a.send_timeout_s) {
    r.note("proxy-send-timeout", Kind::kPartly,
           "a server that stops reading the request body is bounded by the entry point's body "
           "idle time, not per Ingress");
  }
  for (const char* name : {"proxy-request-buffering", "proxy-buffering"}) {
    if (const auto* v = r.get(name); v && *v == "on") {
      r.note(name, Kind::kPartly, "Wharf streams bodies; it never buffers them whole");
    } else if (v && *v != "off") {
      r.invalid(name, "expected \"on\" or \"off\"");
    }
  }
  if (const auto* v = r.get("load-balance")) {
    if (*v == "round_robin" || *v == "ewma") {
      a.load_balance = *v;
      if (*v == "ewma") {
        r.note("load-balance", Kind::kPartly,
               "ewma becomes the less busy of two servers picked at random (by requests in "
               "flight, not by latency)");
      }
    } else {
      r.invalid("load-balance", "expected round_robin or ewma");
    }
  }
  if (const auto* v = r.get("default-backend")) a.default_backend = *v;
  if (const auto* v = r.get("custom-http-errors")) {
    for (const auto& code : text::split_list(*v)) {
      auto c = parse_number<unsigned>(code, 599);
      if (!c || *c < 400) {
        r.invalid("custom-http-errors", "'" + code + "' is not an error status (400-599)");
        a.custom_http_errors.clear();
        break;
      }
      a.custom_http_errors.push_back(*c);
    }
  }
  if (auto b = r.boolean("ssl-passthrough"); b && *b) {
    a.ssl_passthrough = true;
    r.note("ssl-passthrough", Kind::kPartly,
           "Wharf has no TLS passthrough yet: it terminates TLS and re-encrypts to the server "
           "(https, not verified), so the server sees Wharf's connection, not the client's");
  }
  if (auto b = r.boolean("service-upstream"); b && *b) {
    r.note("service-upstream", Kind::kPartly,
           "Wharf balances over the Service's ready endpoints, and stops sending to terminating "
           "ones, which is what the ClusterIP would give");
  }
}

void read_proxy_ssl(Reader& r, Annotations& a) {
  const std::string* secret = r.get("proxy-ssl-secret");
  auto verify = r.get("proxy-ssl-verify");
  const std::string* name = r.get("proxy-ssl-name");
  const std::string* sni = r.get("proxy-ssl-server-name");
  if (!secret && !verify && !name && !sni) return;
  ProxySsl p;
  if (secret) std::tie(p.secret_ns, p.secret_name) = object_ref(r.meta().ns, *secret);
  if (verify) {
    if (*verify == "on" || *verify == "true") {
      p.verify = true;
    } else if (*verify != "off" && *verify != "false") {
      r.invalid("proxy-ssl-verify", "expected \"on\" or \"off\"");
    }
  }
  if (name) p.name = *name;
  if (sni && *sni != "on" && *sni != "off" && *sni != "true" && *sni != "false") {
    r.invalid("proxy-ssl-server-name", "expected \"on\" or \"off\"");
  } else if (sni && (*sni == "off" || *sni == "false")) {
    r.note("proxy-ssl-server-name", Kind::kPartly,
           "Wharf always sends the server name (proxy-ssl-name, else none for an IP address)");
  }
  a.proxy_ssl = p;
}

void read_access(Reader& r, Annotations& a) {
  a.allow = r.ranges("allowlist-source-range");
  if (auto legacy = r.ranges("whitelist-source-range"); legacy && !a.allow) a.allow = legacy;
  a.deny = r.ranges("denylist-source-range");
  if (auto n = r.number<std::uint64_t>("limit-rps", 1'000'000)) a.limits.rps = *n;
  if (auto n = r.number<std::uint64_t>("limit-rpm", 60'000'000)) a.limits.rpm = *n;
  if (auto n = r.number<std::uint64_t>("limit-connections", 1'000'000)) a.limits.connections = *n;
  if (auto n = r.number<std::uint64_t>("limit-burst-multiplier", 1000)) {
    a.limits.burst_multiplier = std::max<std::uint64_t>(*n, 1);
  }
  if (auto b = r.get("enable-global-auth"); b && *b != "false" && *b != "true") {
    r.invalid("enable-global-auth", "expected \"true\" or \"false\"");
  }
  if (const auto* v = r.get("satisfy"); v && *v == "any") {
    r.note("satisfy", Kind::kPartly,
           "a request must pass every check (allow list and authentication), as with \"all\"");
  }
}

// Client certificates (ingress-nginx's auth-tls-*), per host as nginx applies them.
void read_client_auth(Reader& r, Annotations& a) {
  const std::string* secret = r.get("auth-tls-secret");
  const std::string* verify = r.get("auth-tls-verify-client");
  if (r.get("auth-tls-verify-depth")) {
    r.note("auth-tls-verify-depth", Kind::kPartly, "the whole chain up to the CA is verified");
  }
  if (r.get("auth-tls-error-page")) {
    r.note("auth-tls-error-page", Kind::kPartly,
           "a client without a valid certificate is refused during the TLS handshake, before "
           "any page can be sent");
  }
  if (r.get("auth-tls-match-cn")) {
    r.note("auth-tls-match-cn", Kind::kDenied,
           "matching the client certificate's CN is not supported yet; the routes answer 503 "
           "rather than accept any certificate of the CA");
  }
  auto pass = r.boolean("auth-tls-pass-certificate-to-upstream");
  if (!secret || secret->empty()) return;
  ClientAuth c;
  std::tie(c.secret_ns, c.secret_name) = object_ref(r.meta().ns, *secret);
  if (verify) {
    if (*verify == "off") return;
    if (*verify != "on" && *verify != "optional" && *verify != "optional_no_ca") {
      r.invalid("auth-tls-verify-client", "expected on, off, optional or optional_no_ca");
      return;
    }
    c.verify = *verify;
  }
  if (pass && *pass) {
    r.note("auth-tls-pass-certificate-to-upstream", Kind::kLeftOut,
           "the ssl-client-* headers are not sent to the server (and are removed from requests, "
           "so a client cannot forge them)");
  }
  a.client_auth = c;
}

void read_auth(Reader& r, Annotations& a) {
  const std::string* type = r.get("auth-type");
  const std::string* secret = r.get("auth-secret");
  const std::string* secret_type = r.get("auth-secret-type");
  const std::string* realm = r.get("auth-realm");
  if (type && *type == "digest") {
    r.note("auth-type", Kind::kDenied,
           "digest authentication is not supported; the routes answer 503 until it is changed "
           "to basic");
  } else if (type && *type != "basic") {
    r.invalid("auth-type", "expected basic or digest");
  } else if (type) {
    BasicAuth b;
    if (!secret || secret->empty()) {
      r.note("auth-type", Kind::kInvalid, "basic authentication needs auth-secret");
    } else {
      std::tie(b.secret_ns, b.secret_name) = object_ref(r.meta().ns, *secret);
    }
    if (secret_type && *secret_type == "auth-map") {
      b.auth_map = true;
    } else if (secret_type && *secret_type != "auth-file") {
      r.invalid("auth-secret-type", "expected auth-file or auth-map");
    }
    if (realm) b.realm = *realm;
    a.basic_auth = b;
  }
  if (const auto* url = r.get("auth-url"); url && !url->empty()) {
    ExternalAuth e;
    e.url = *url;
    if (const auto* v = r.get("auth-signin")) e.signin = *v;
    if (const auto* v = r.get("auth-signin-redirect-param"); v && !v->empty()) {
      e.signin_param = *v;
    }
    if (const auto* v = r.get("auth-method")) {
      if (v->empty() || !std::all_of(v->begin(), v->end(),
                                     [](unsigned char c) { return std::isupper(c) != 0; })) {
        r.invalid("auth-method", "expected an HTTP method such as GET or POST");
      } else {
        e.method = *v;
      }
    }
    if (const auto* v = r.get("auth-response-headers")) e.response_headers = text::split_list(*v);
    if (const auto* v = r.get("auth-request-redirect")) e.request_redirect = *v;
    a.external_auth = e;
  }
  read_client_auth(r, a);
}

void read_affinity(Reader& r, Annotations& a) {
  const std::string* type = r.get("affinity");
  if (!type) return;
  if (*type != "cookie") {
    r.invalid("affinity", "the only affinity type is cookie");
    return;
  }
  Affinity s;
  if (const auto* v = r.get("affinity-mode")) {
    if (*v == "persistent") {
      s.persistent = true;
    } else if (*v != "balanced") {
      r.invalid("affinity-mode", "expected balanced or persistent");
    } else {
      r.note("affinity-mode", Kind::kPartly,
             "sessions stay on their server when the service scales (as persistent)");
    }
  }
  if (const auto* v = r.get("session-cookie-name"); v && !v->empty()) s.name = *v;
  if (const auto* v = r.get("session-cookie-path")) s.path = *v;
  if (const auto* v = r.get("session-cookie-samesite")) {
    std::string lower = text::lower(*v);
    if (lower == "none" || lower == "lax" || lower == "strict") {
      s.same_site = lower;
    } else {
      r.invalid("session-cookie-samesite", "expected None, Lax or Strict");
    }
  }
  if (auto b = r.boolean("session-cookie-secure")) s.secure = *b;
  auto max_age = r.number<std::int64_t>("session-cookie-max-age", 1'000'000'000);
  auto expires = r.number<std::int64_t>("session-cookie-expires", 1'000'000'000);
  s.max_age = max_age.value_or(expires.value_or(0));
  for (const char* name : {"session-cookie-change-on-failure",
                           "session-cookie-conditional-samesite-none", "session-cookie-domain"}) {
    if (r.get(name)) r.note(name, Kind::kLeftOut, "not supported by Wharf's sticky cookie");
  }
  a.affinity = s;
}

void read_cors(Reader& r, Annotations& a) {
  auto enabled = r.boolean("enable-cors");
  const std::string* origins = r.get("cors-allow-origin");
  const std::string* methods = r.get("cors-allow-methods");
  const std::string* headers = r.get("cors-allow-headers");
  const std::string* expose = r.get("cors-expose-headers");
  auto credentials = r.boolean("cors-allow-credentials");
  auto max_age = r.number<std::int64_t>("cors-max-age", 1'000'000'000);
  if (!enabled || !*enabled) return;
  Cors c;
  if (origins) c.origins = text::split_list(*origins);
  if (methods) c.methods = text::split_list(*methods);
  if (headers) c.headers = text::split_list(*headers);
  if (expose) c.expose = text::split_list(*expose);
  if (credentials) c.credentials = *credentials;
  if (max_age) c.max_age = *max_age;
  for (const auto& o : c.origins) {
    if (o != "*" && o.find("://") == std::string::npos) {
      r.invalid("cors-allow-origin", "'" + o + "' is not * or scheme://host[:port]");
    }
  }
  a.cors = c;
}

void read_canary(Reader& r, Annotations& a) {
  auto enabled = r.boolean("canary");
  auto weight = r.number<std::uint64_t>("canary-weight", 1'000'000);
  auto total = r.number<std::uint64_t>("canary-weight-total", 1'000'000);
  const std::string* header = r.get("canary-by-header");
  const std::string* value = r.get("canary-by-header-value");
  const std::string* pattern = r.get("canary-by-header-pattern");
  const std::string* cookie = r.get("canary-by-cookie");
  if (!enabled || !*enabled) return;
  Canary& c = a.canary;
  c.enabled = true;
  c.weight = weight;
  if (total && *total > 0) c.weight_total = *total;
  if (c.weight && *c.weight > c.weight_total) c.weight = c.weight_total;
  if (header) c.by_header = *header;
  if (value) c.header_value = *value;
  if (pattern) c.header_pattern = *pattern;
  if (cookie) c.by_cookie = *cookie;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view v) {
  if (v.empty()) return {};
  std::uint64_t unit = 1;
  switch (v.back()) {
    case 'k':
    case 'K':
      unit = 1024;
      break;
    case 'm':
    case 'M':
      unit = 1024 * 1024;
      break;
    case 'g':
    case 'G':
      unit = 1024ull * 1024 * 1024;
      break;
    default:
      break;
  }
  if (unit != 1) v.remove_suffix(1);
  auto n = parse_number<std::uint64_t>(v, std::uint64_t{1} << 40);
  if (!n) return {};
  return *n * unit;
}

std::optional<std::uint32_t> parse_seconds(std::string_view v) {
  if (!v.empty() && v.back() == 's') v.remove_suffix(1);
  return parse_number<std::uint32_t>(v, 100'000'000);
}

std::optional<bool> parse_bool(std::string_view v) {
  if (v == "true" || v == "True" || v == "TRUE" || v == "on") return true;
  if (v == "false" || v == "False" || v == "FALSE" || v == "off") return false;
  return {};
}

std::optional<std::vector<std::string>> parse_ranges(std::string_view v, std::string* bad) {
  auto items = text::split_list(v);
  for (const auto& item : items) {
    if (!model::Cidr::parse(item)) {
      if (bad) *bad = item;
      return {};
    }
  }
  return items;
}

Annotations read_annotations(const ObjectMeta& meta) {
  Annotations a;
  Reader r(meta, a);
  read_canary(r, a);
  read_paths(r, a);
  read_redirects(r, a);
  read_backend(r, a);
  read_proxy_ssl(r, a);
  read_access(r, a);
  read_auth(r, a);
  read_affinity(r, a);
  read_cors(r, a);
  r.rest();
  return a;
}

}  // namespace wharf::controller::kubernetes::nginx
