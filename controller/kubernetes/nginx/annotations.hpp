#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/kubernetes/objects.hpp"

namespace wharf::controller::kubernetes::nginx {

// The `nginx.ingress.kubernetes.io/*` annotations of one Ingress, read with ingress-nginx's
// documented semantics into typed values (nothing here knows Wharf's model; translator.cpp maps
// them). Every annotation is either taken, or reported as a Finding naming it and why.

inline constexpr std::string_view kPrefix = "nginx.ingress.kubernetes.io/";

struct Finding {
  enum class Kind {
    kPartly,   // Taken, with a difference worth knowing (docs/migrating.md lists them).
    kLeftOut,  // Not supported: the routes are served without it.
    kRefused,  // Configuration text (a snippet): never executed; the routes are served.
    kInvalid,  // A value that cannot be taken: the Ingress's routes answer 503 (fail closed).
    kDenied,   // Supported nowhere in Wharf and guarding the routes: they answer 503.
  };
  std::string annotation;  // The full key.
  Kind kind = Kind::kLeftOut;
  std::string message;  // Why, one sentence.
  bool operator==(const Finding&) const = default;
};

// Whether a Finding stops the Ingress's routes from being served open.
inline bool closes_routes(const Finding& f) {
  return f.kind == Finding::Kind::kInvalid || f.kind == Finding::Kind::kDenied;
}

struct Redirect {
  std::string url;  // As written; nginx variables in it are resolved by the translator.
  unsigned code = 301;
};

struct BasicAuth {
  std::string secret_ns, secret_name;  // auth-secret: "name" (the Ingress's namespace) or "ns/name"
  bool auth_map = false;               // auth-secret-type: auth-map (else auth-file)
  std::string realm;                   // auth-realm
};

struct ExternalAuth {
  std::string url;                            // auth-url
  std::string signin;                         // auth-signin
  std::string signin_param = "rd";            // auth-signin-redirect-param
  std::string method;                         // auth-method; empty: GET
  std::vector<std::string> response_headers;  // auth-response-headers
  std::string request_redirect;               // auth-request-redirect
};

struct Limits {
  std::uint64_t rps = 0, rpm = 0, connections = 0;
  std::uint64_t burst_multiplier = 5;
};

struct Affinity {
  std::string name = "INGRESSCOOKIE";
  std::string path;       // Empty: "/".
  std::string same_site;  // "", "none", "lax", "strict"
  std::int64_t max_age = 0;
  bool secure = false;
  bool persistent = false;  // affinity-mode: persistent (Wharf's sticky cookie always is)
};

struct Cors {
  std::vector<std::string> origins{"*"};
  std::vector<std::string> methods{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"};
  std::vector<std::string> headers{
      "DNT",           "Keep-Alive",   "User-Agent", "X-Requested-With", "If-Modified-Since",
      "Cache-Control", "Content-Type", "Range",      "Authorization"};
  std::vector<std::string> expose;
  bool credentials = true;
  std::int64_t max_age = 1'728'000;
};

struct Canary {
  bool enabled = false;
  std::optional<std::uint64_t> weight;
  std::uint64_t weight_total = 100;
  std::string by_header, header_value, header_pattern, by_cookie;
};

// auth-tls-secret (its ca.crt) and auth-tls-verify-client.
struct ClientAuth {
  std::string secret_ns, secret_name;
  std::string verify = "on";  // on, optional, optional_no_ca
};

struct ProxySsl {
  std::string secret_ns, secret_name;  // proxy-ssl-secret: ca.crt, tls.crt, tls.key
  bool verify = false;                 // proxy-ssl-verify: on
  std::string name;                    // proxy-ssl-name
};

struct Annotations {
  bool use_regex = false;
  std::optional<std::string> rewrite_target;
  std::string app_root;
  std::vector<std::string> server_alias;
  bool from_to_www = false;  // from-to-www-redirect
  std::optional<bool> ssl_redirect, force_ssl_redirect;
  std::optional<Redirect> redirect;        // permanent-redirect, else temporal-redirect
  std::string backend_protocol;            // Upper case; empty: HTTP.
  std::optional<std::uint64_t> body_size;  // proxy-body-size in bytes; 0: no limit
  std::optional<std::uint32_t> connect_timeout_s, read_timeout_s, send_timeout_s;
  std::optional<std::vector<std::string>> allow, deny;  // Source ranges, validated.
  std::optional<BasicAuth> basic_auth;
  std::optional<ExternalAuth> external_auth;
  std::optional<ClientAuth> client_auth;
  Limits limits;
  std::optional<Affinity> affinity;
  std::optional<Cors> cors;
  std::string upstream_vhost, x_forwarded_prefix;
  std::vector<unsigned> custom_http_errors;
  std::string default_backend;  // A Service in the Ingress's namespace.
  Canary canary;
  std::optional<ProxySsl> proxy_ssl;
  bool ssl_passthrough = false;
  std::string load_balance;  // round_robin, ewma
  std::vector<Finding> findings;
};

// Reads the annotations of an Ingress in namespace `ns`. Values are checked here (a CIDR, a
// size, a status code); references (Secrets, Services) are resolved by the translator.
Annotations read_annotations(const ObjectMeta& meta);

// A whole number up to `max`, nothing else ("308", not "308s" or " 308").
template <typename T>
std::optional<T> parse_number(std::string_view v, T max) {
  T out{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size() || v.empty() || out > max) return {};
  return out;
}

// nginx sizes as ingress-nginx takes them: "0" (no limit), "1000", "8k", "1m", "2g" (either
// case). Nothing when malformed.
std::optional<std::uint64_t> parse_size(std::string_view v);
// Whole seconds, as the timeout annotations take them ("60", or "60s").
std::optional<std::uint32_t> parse_seconds(std::string_view v);
// "true"/"false" (nginx's "on"/"off" too, which some annotations take).
std::optional<bool> parse_bool(std::string_view v);
// A comma-separated CIDR list; the first bad entry in `bad`.
std::optional<std::vector<std::string>> parse_ranges(std::string_view v, std::string* bad);

}  // namespace wharf::controller::kubernetes::nginx
