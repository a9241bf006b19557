#pragma once

#include <boost/regex.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "middleware/breaker_expression.hpp"
#include "model/ip.hpp"
#include "model/result.hpp"

// A middleware's configuration, as both processes read it (wharf::middleware_config); the
// middlewares that run on requests are the data plane's (wharf::dataplane::middleware).
namespace wharf::middleware_config {

// Middlewares travel in the routing table as Traefik spells them: a type name and options
// keyed by lower-cased dotted paths ("customrequestheaders.x-app", "sourcecriterion.ipstrategy
// .depth"), lists comma-separated. This file turns those strings into typed specs. The
// controller parses to report a bad option against the label or file line that set it; the
// data plane parses the same strings again to build what serves requests, so both sides agree
// by construction and the table format stays Traefik's vocabulary.
using Options = std::vector<std::pair<std::string, std::string>>;
using Regex = std::shared_ptr<const boost::regex>;

// Which address a middleware sees as the client (Traefik's ipStrategy). By default the client
// address the data plane computed from --trusted-proxies; `depth` takes the n-th address of
// X-Forwarded-For from the right; `excluded` takes the right-most address not in those ranges.
struct IpStrategy {
  std::uint32_t depth = 0;
  std::vector<model::Cidr> excluded;
};

// What a rate or concurrency limit counts per: the client address (default), a request
// header's value, or the Host.
struct SourceCriterion {
  IpStrategy ip;
  std::string header;
  bool host = false;
};

// `status` (Wharf's `statusCode` option, for ingress-nginx's 308 and permanent-redirect-code):
// that status for every method; 0: Traefik's choice by `permanent` and the method.
struct RedirectScheme {
  std::string scheme = "https";
  std::string port;  // Empty: none in the Location (the scheme's default).
  bool permanent = false;
  unsigned status = 0;
};
struct RedirectRegex {
  Regex regex;
  std::string replacement;
  bool permanent = false;
  unsigned status = 0;
};
struct StripPrefix {
  std::vector<std::string> prefixes;
};
struct StripPrefixRegex {
  std::vector<Regex> regexes;
};
struct AddPrefix {
  std::string prefix;
};
struct ReplacePath {
  std::string path;
};
struct ReplacePathRegex {
  Regex regex;
  std::string replacement;
};

struct Headers {
  // Set (or, with an empty value, removed) on the request / on the response, in this order.
  std::vector<std::pair<std::string, std::string>> request, response;
  // Wharf's appendRequestHeaders / appendResponseHeaders: a field line added after the set
  // ones, keeping the values already there (the Gateway API's header modifiers' `add`).
  std::vector<std::pair<std::string, std::string>> request_append, response_append;
  // Security headers (Traefik's names in comments).
  std::uint64_t sts_seconds = 0;        // stsSeconds; only sent over TLS
  bool sts_include_subdomains = false;  // stsIncludeSubdomains
  bool sts_preload = false;             // stsPreload
  bool force_sts = false;               // forceSTSHeader: over plain HTTP too
  std::string frame_options;            // frameDeny → DENY, customFrameOptionsValue
  bool nosniff = false;                 // contentTypeNosniff
  std::string xss;  // browserXssFilter → "1; mode=block", customBrowserXSSValue
  std::string csp, csp_report_only, referrer_policy, permissions_policy;
  std::vector<std::string> allowed_hosts;  // allowedHosts: others get 400
  // hostsProxyHeaders: the host allowedHosts checks is the first of these headers present (a
  // proxy in front put the original host there), else Host.
  std::vector<std::string> hosts_proxy_headers;
  // sslProxyHeaders: a request carrying one of these header values came over HTTPS to a proxy
  // in front, so it gets the Strict-Transport-Security header as a TLS request does.
  std::vector<std::pair<std::string, std::string>> ssl_proxy_headers;
  bool development = false;  // isDevelopment: no STS, no allowedHosts
  // CORS.
  std::vector<std::string> allow_origins;  // accessControlAllowOriginList ("*" allowed)
  std::vector<Regex> allow_origin_regexes;
  std::vector<std::string> allow_methods, allow_headers, expose_headers;
  bool allow_credentials = false;
  std::int64_t max_age = 0;
  bool add_vary = false;

  bool has_cors() const { return !allow_origins.empty() || !allow_origin_regexes.empty(); }
};

struct BasicAuth {
  std::vector<std::pair<std::string, std::string>> users;  // name → htpasswd hash
  std::string realm = "wharf";
  bool remove_header = false;
  std::string header_field;  // Request header that carries the authenticated user upstream.
};

// ipallowlist, and Wharf's ipdenylist (`deny`: the ranges are the ones refused, as
// ingress-nginx's denylist-source-range). A client whose address cannot be told (ipStrategy
// depth beyond X-Forwarded-For) is refused by both.
struct IpAllowList {
  std::vector<model::Cidr> ranges;
  IpStrategy strategy;
  unsigned reject_status = 403;
  bool deny = false;
};

// `reject_status` (Wharf's `rejectStatusCode` option, as ipallowlist has it): ingress-nginx
// answers 503 where Traefik answers 429.
struct RateLimit {
  double average = 0;  // Requests per period; 0 turns the limit off.
  std::uint64_t period_ms = 1000;
  std::uint64_t burst = 1;
  SourceCriterion source;
  unsigned reject_status = 429;
};

struct InFlightReq {
  std::uint64_t amount = 0;
  SourceCriterion source;
  unsigned reject_status = 429;
};

// Asks another server whether a request may pass (Authelia, Authentik, oauth2-proxy...).
struct ForwardAuth {
  std::string address;  // http://host:port/path
  bool trust_forward_header = false;
  std::vector<std::string> response_headers;  // authResponseHeaders: copied onto the request
  Regex response_headers_regex;               // authResponseHeadersRegex
  std::vector<std::string> request_headers;   // authRequestHeaders: empty sends them all
  std::vector<std::string> response_cookies;  // addAuthCookiesToResponse
  bool preserve_method = false;               // preserveRequestMethod (else GET)
  bool insecure_skip_verify = false;          // tls.insecureSkipVerify (https addresses)
  // tls.ca / tls.cert / tls.key: PEM, which the controller read from the files the
  // configuration names (the data plane reads no files).
  std::string ca_pem, cert_pem, key_pem;
  // maxResponseBodySize: an auth answer with a longer body is a 401, as in Traefik. Traefik's
  // default is no limit; Wharf's is 1 MiB, as every per-request buffer is bounded.
  std::uint64_t max_response_body = std::uint64_t{1} << 20;
  // authSigninURL: a 401 from the auth server becomes a 302 to this URL, with {scheme},
  // {host}, {uri} and {escaped_uri} (the request target, percent-escaped) filled in per request
  // (ingress-nginx's auth-signin names them as $scheme, $host, $request_uri...).
  std::string signin_url;
  // Wharf's, for ingress-nginx's auth-url: `method` asks with that method (auth-method);
  // `originalHeaders` also sends what ingress-nginx sent: X-Original-URL, X-Original-Method,
  // X-Auth-Request-Redirect (`authRequestRedirect`, else the request target), X-Real-IP and
  // X-Sent-From.
  std::string method;
  bool original_headers = false;
  std::string request_redirect;
};

struct Chain {
  std::vector<std::string> middlewares;  // As written: "name" or "name@provider".
};

// The middlewares below act on the exchange with the server, not on the request alone.

// A request that failed before any response started, and that can be repeated safely (no
// body sent, idempotent method), is sent again: up to `attempts` tries in all, waiting
// `initial_interval_ms`, then twice that, and so on between them.
struct Retry {
  std::uint32_t attempts = 0;
  std::uint64_t initial_interval_ms = 100;
};

// Stops sending requests to a failing service for a while (dataplane/middleware/breaker.hpp).
struct CircuitBreaker {
  std::shared_ptr<const BreakerExpression> expression;
  std::uint64_t check_period_ms = 100;
  std::uint64_t fallback_ms = 10'000;
  std::uint64_t recovery_ms = 10'000;
  unsigned response_code = 503;
};

// Body size limits; 0 is none. Bodies still stream (nothing is held in memory or on disk).
struct Buffering {
  std::uint64_t max_request_body = 0;   // Beyond: 413.
  std::uint64_t max_response_body = 0;  // Beyond: 500 when known up front, else cut short.
  // retryExpression `IsNetworkError() && Attempts() < N`: requests that failed at the network
  // level are tried again, N tries in all, without a pause (attempts 0: no retry).
  Retry retry{0, 0};
};

struct Compress {
  // Media types without parameters, lower case; at most one of the two lists is set.
  std::vector<std::string> excluded_types, included_types;
  std::uint64_t min_bytes = 1024;  // Smaller responses (by Content-Length) stay as they are.
  std::vector<std::string> encodings{"zstd", "br", "gzip"};  // Preference on equal q-values.
  std::string default_encoding;  // For requests without Accept-Encoding; empty: none.
};

struct StatusRange {
  unsigned from = 0, to = 0;  // Inclusive.
  bool contains(unsigned s) const { return s >= from && s <= to; }
};

// Replaces responses with these statuses by a page from another service.
struct Errors {
  std::vector<StatusRange> status;
  std::string service;      // As written: "name" or "name@provider".
  std::string query = "/";  // {status}, {originalStatus} and {url} are filled in.
  std::vector<std::pair<StatusRange, unsigned>> rewrites;  // statusRewrites: the status sent.
  // Wharf's requestHeaders.<name>: sent with the page request, {status}, {uri} (the request
  // target) and {accept} filled in; ingress-nginx's custom-http-errors sends X-Code and others.
  std::vector<std::pair<std::string, std::string>> request_headers;
};

using Spec = std::variant<RedirectScheme, RedirectRegex, StripPrefix, StripPrefixRegex, AddPrefix,
                          ReplacePath, ReplacePathRegex, Headers, BasicAuth, IpAllowList, RateLimit,
                          InFlightReq, ForwardAuth, Chain, Retry, CircuitBreaker, Buffering,
                          Compress, Errors>;

// The typed spec, or one sentence naming the option and what is wrong with it. Types Traefik
// has but Wharf does not implement yet are refused by name, never ignored: a router served
// without its forwardauth would expose what it protects.
// `warnings`, when given, gets the options that are accepted but have no effect (Traefik's
// deprecated ones), each "option: why".
model::Result<Spec> parse(std::string_view type, const Options& options,
                          std::vector<std::string>* warnings = nullptr);

// Types `parse` accepts, for messages and docs.
const std::vector<std::string_view>& implemented_types();
bool is_implemented(std::string_view type);

// "Text/HTML; charset=utf-8" → "text/html": how compress compares media types.
std::string media_type(std::string_view content_type);

// Why an htpasswd hash is unusable (unknown scheme, malformed), or empty when the data plane
// can verify it: bcrypt ($2y$, $2b$, $2a$), Apache MD5 ($apr1$), MD5-crypt ($1$),
// SHA-256/512-crypt ($5$, $6$) and {SHA}.
std::string htpasswd_problem(std::string_view hash);

}  // namespace wharf::middleware_config
