#include "middleware/spec.hpp"

#include <algorithm>
#include <charconv>

#include "middleware/option_reader.hpp"
#include "model/routing_table.hpp"
#include "text/split_list.hpp"

namespace wharf::middleware_config {
namespace {

using detail::Reader;
using detail::require;
using model::Error;
using model::Result;

Spec read_headers(Reader& r) {
  Headers h;
  h.request = r.under("customrequestheaders");
  h.response = r.under("customresponseheaders");
  h.request_append = r.under("appendrequestheaders");
  h.response_append = r.under("appendresponseheaders");
  r.integer<std::uint64_t>("stsseconds", h.sts_seconds, 0, 1'000'000'000);
  r.boolean("stsincludesubdomains", h.sts_include_subdomains);
  r.boolean("stspreload", h.sts_preload);
  r.boolean("forcestsheader", h.force_sts);
  bool deny = false;
  r.boolean("framedeny", deny);
  if (deny) h.frame_options = "DENY";
  r.string("customframeoptionsvalue", h.frame_options);
  r.boolean("contenttypenosniff", h.nosniff);
  bool xss = false;
  r.boolean("browserxssfilter", xss);
  if (xss) h.xss = "1; mode=block";
  r.string("custombrowserxssvalue", h.xss);
  r.string("contentsecuritypolicy", h.csp);
  r.string("contentsecuritypolicyreportonly", h.csp_report_only);
  r.string("referrerpolicy", h.referrer_policy);
  r.string("permissionspolicy", h.permissions_policy);
  if (h.permissions_policy.empty()) r.string("featurepolicy", h.permissions_policy);
  r.list("allowedhosts", h.allowed_hosts);
  for (auto& host : h.allowed_hosts) {
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return std::tolower(c); });
  }
  r.list("hostsproxyheaders", h.hosts_proxy_headers);
  h.ssl_proxy_headers = r.under("sslproxyheaders");
  // Deprecated in Traefik v3 and without effect there: accepted so configurations carry over,
  // with a warning (they never redirected anything in Traefik v3 either).
  for (const char* key : {"sslredirect", "ssltemporaryredirect", "sslhost", "sslforcehost"}) {
    r.deprecated(key,
                 "deprecated and without effect in Traefik v3 (and in Wharf); redirect with a "
                 "redirectScheme middleware or the entry point's redirections");
  }
  r.boolean("isdevelopment", h.development);
  r.list("accesscontrolalloworiginlist", h.allow_origins);
  std::vector<std::string> origin_regexes;
  r.list("accesscontrolalloworiginlistregex", origin_regexes);
  for (const auto& re : origin_regexes) {
    if (auto c = r.regex("accesscontrolalloworiginlistregex", re)) {
      h.allow_origin_regexes.push_back(c);
    }
  }
  r.list("accesscontrolallowmethods", h.allow_methods);
  r.list("accesscontrolallowheaders", h.allow_headers);
  r.list("accesscontrolexposeheaders", h.expose_headers);
  r.boolean("accesscontrolallowcredentials", h.allow_credentials);
  r.integer<std::int64_t>("accesscontrolmaxage", h.max_age, 0, 1'000'000'000);
  r.boolean("addvaryheader", h.add_vary);
  for (const auto* list : {&h.request, &h.response, &h.request_append, &h.response_append}) {
    for (const auto& [name, value] : *list) {
      if (name.find_first_of(" :\t\r\n") != std::string::npos || name.empty()) {
        r.fail("customheaders", "'" + name + "' is not a header name");
      }
      if (value.find_first_of("\r\n") != std::string::npos) {
        r.fail("customheaders", "the value of " + name + " contains a line break");
      }
    }
  }
  return h;
}

Spec read_basic_auth(Reader& r) {
  BasicAuth b;
  std::vector<std::string> users;
  r.list("users", users);
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto colon = users[i].find(':');
    if (colon == std::string::npos || colon == 0) {
      r.fail("users", "entry " + std::to_string(i + 1) + " is not user:hash");
      continue;
    }
    std::string hash = users[i].substr(colon + 1);
    if (auto why = htpasswd_problem(hash); !why.empty()) {
      r.fail("users", "user '" + users[i].substr(0, colon) + "': " + why);
    }
    b.users.emplace_back(users[i].substr(0, colon), std::move(hash));
  }
  // usersFile never reaches here: the controller reads it into `users`
  // (controller/provider/middleware_files.cpp); a table carrying one is refused as an unknown
  // option.
  require(r, "users", !b.users.empty());
  r.string("realm", b.realm);
  if (b.realm.find_first_of("\"\r\n") != std::string::npos) {
    r.fail("realm", "must not contain quotes or line breaks");
  }
  r.boolean("removeheader", b.remove_header);
  r.string("headerfield", b.header_field);
  return b;
}

// Wharf's statusCode option of both redirect middlewares.
void redirect_status(Reader& r, unsigned& status) {
  r.integer<unsigned>("statuscode", status, 301, 308);
  if (status == 304 || status == 305 || status == 306) {
    r.fail("statuscode", "expected 301, 302, 303, 307 or 308");
  }
}

Spec read_redirect_scheme(Reader& r) {
  RedirectScheme s;
  r.string("scheme", s.scheme);
  std::transform(s.scheme.begin(), s.scheme.end(), s.scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (s.scheme != "http" && s.scheme != "https") r.fail("scheme", "expected http or https");
  std::uint32_t port = 0;
  r.integer<std::uint32_t>("port", port, 1, 65535);
  if (port) s.port = std::to_string(port);
  r.boolean("permanent", s.permanent);
  redirect_status(r, s.status);
  return s;
}

Spec read_rate_limit(Reader& r) {
  RateLimit l;
  auto avg = r.find("average");
  if (avg) {
    auto [end, ec] = std::from_chars(avg->data(), avg->data() + avg->size(), l.average);
    if (ec != std::errc{} || end != avg->data() + avg->size() || l.average < 0) {
      r.fail("average", "'" + *avg + "' is not a non-negative number");
    }
  }
  r.duration_ms("period", l.period_ms);
  r.integer<std::uint64_t>("burst", l.burst, 0, 1'000'000'000);
  if (l.burst == 0) l.burst = 1;  // Traefik's rule: a bucket holds at least one request.
  r.source_criterion(l.source);
  r.integer<unsigned>("rejectstatuscode", l.reject_status, 400, 599);
  return l;
}

Spec read_forward_auth(Reader& r) {
  ForwardAuth f;
  r.string("address", f.address);
  if (f.address.empty()) {
    r.fail("address", "required");
  } else if (auto a = model::parse_server_url(f.address); !a) {
    r.fail("address", a.error());
  } else if (a->h2c) {
    // The auth server is asked over HTTP/1.1, as Traefik asks it.
    r.fail("address", "server url '" + f.address + "': expected http:// or https://");
  }
  r.boolean("trustforwardheader", f.trust_forward_header);
  r.list("authresponseheaders", f.response_headers);
  std::string re;
  r.string("authresponseheadersregex", re);
  if (!re.empty()) f.response_headers_regex = r.regex("authresponseheadersregex", re);
  r.list("authrequestheaders", f.request_headers);
  r.list("addauthcookiestoresponse", f.response_cookies);
  r.boolean("preserverequestmethod", f.preserve_method);
  r.boolean("tls.insecureskipverify", f.insecure_skip_verify);
  // The controller replaced the file names with the files' contents (and checked them).
  for (auto [key, out] : {std::pair{"tls.ca", &f.ca_pem}, std::pair{"tls.cert", &f.cert_pem},
                          std::pair{"tls.key", &f.key_pem}}) {
    r.string(key, *out);
    if (!out->empty() && !out->starts_with("-----BEGIN ")) {
      r.fail(key, "expected PEM (the controller reads the file " + *out + ")");
    }
  }
  if (f.cert_pem.empty() != f.key_pem.empty())
    r.fail("tls.cert", "tls.cert and tls.key go together");
  r.deprecated("tls.caoptional", "deprecated and without effect in Traefik v3 (and in Wharf)");
  std::int64_t max_response = -1;
  r.integer<std::int64_t>("maxresponsebodysize", max_response, -1, std::int64_t{1} << 26);
  if (max_response >= 0) f.max_response_body = static_cast<std::uint64_t>(max_response);
  r.string("authsigninurl", f.signin_url);
  if (f.signin_url.find_first_of("\r\n ") != std::string::npos) {
    r.fail("authsigninurl", "must not contain spaces or line breaks");
  }
  r.string("method", f.method);
  if (!f.method.empty() && !std::all_of(f.method.begin(), f.method.end(),
                                        [](unsigned char c) { return c >= 'A' && c <= 'Z'; })) {
    r.fail("method", "'" + f.method + "' is not an HTTP method");
  }
  r.boolean("originalheaders", f.original_headers);
  r.string("authrequestredirect", f.request_redirect);
  if (f.request_redirect.find_first_of("\r\n") != std::string::npos) {
    r.fail("authrequestredirect", "must not contain line breaks");
  }
  for (const auto* key : {"forwardbody", "maxbodysize", "headerfield", "preservelocationheader"}) {
    if (r.find(key)) r.fail(key, "not supported by Wharf yet");
  }
  return f;
}

}  // namespace

const std::vector<std::string_view>& implemented_types() {
  static const std::vector<std::string_view> kTypes = {
      "addprefix",       "basicauth",   "buffering",        "chain",     "circuitbreaker",
      "compress",        "errors",      "forwardauth",      "headers",   "inflightreq",
      "ipallowlist",     "ipdenylist",  "ipwhitelist",      "ratelimit", "redirectregex",
      "redirectscheme",  "replacepath", "replacepathregex", "retry",     "stripprefix",
      "stripprefixregex"};
  return kTypes;
}

bool is_implemented(std::string_view type) {
  const auto& all = implemented_types();
  return std::find(all.begin(), all.end(), type) != all.end();
}

Result<Spec> parse(std::string_view type, const Options& options,
                   std::vector<std::string>* warnings) {
  Reader r(options, warnings);
  if (type == "redirectscheme") return r.finish(read_redirect_scheme(r));
  if (type == "redirectregex") {
    RedirectRegex s;
    s.regex = r.required_regex("regex");
    r.string("replacement", s.replacement);
    require(r, "replacement", !s.replacement.empty());
    r.boolean("permanent", s.permanent);
    redirect_status(r, s.status);
    return r.finish(s);
  }
  if (type == "stripprefix") {
    StripPrefix s;
    r.list("prefixes", s.prefixes);
    require(r, "prefixes", !s.prefixes.empty());
    if (r.find("forceslash")) r.fail("forceslash", "removed in Traefik v3; drop it");
    return r.finish(s);
  }
  if (type == "stripprefixregex") {
    StripPrefixRegex s;
    std::vector<std::string> list;
    r.list("regex", list);
    require(r, "regex", !list.empty());
    for (const auto& re : list) {
      if (auto c = r.regex("regex", re)) s.regexes.push_back(c);
    }
    return r.finish(s);
  }
  if (type == "addprefix") {
    AddPrefix s;
    r.path("prefix", s.prefix);
    return r.finish(s);
  }
  if (type == "replacepath") {
    ReplacePath s;
    r.path("path", s.path);
    return r.finish(s);
  }
  if (type == "replacepathregex") {
    ReplacePathRegex s;
    s.regex = r.required_regex("regex");
    r.string("replacement", s.replacement);
    return r.finish(s);
  }
  if (type == "headers") return r.finish(read_headers(r));
  if (type == "basicauth") return r.finish(read_basic_auth(r));
  if (type == "ipallowlist" || type == "ipwhitelist" || type == "ipdenylist") {
    IpAllowList s;
    s.deny = type == "ipdenylist";
    r.cidrs("sourcerange", s.ranges);
    require(r, "sourcerange", !s.ranges.empty());
    r.ip_strategy("ipstrategy", s.strategy);
    r.integer<unsigned>("rejectstatuscode", s.reject_status, 400, 599);
    return r.finish(s);
  }
  if (type == "ratelimit") return r.finish(read_rate_limit(r));
  if (type == "forwardauth") return r.finish(read_forward_auth(r));
  if (type == "inflightreq") {
    InFlightReq s;
    r.integer<std::uint64_t>("amount", s.amount, 1, 1'000'000'000);
    require(r, "amount", s.amount > 0);
    r.source_criterion(s.source);
    r.integer<unsigned>("rejectstatuscode", s.reject_status, 400, 599);
    return r.finish(s);
  }
  if (auto exchange = detail::parse_exchange_type(type, r)) return r.finish(std::move(*exchange));
  if (type == "chain") {
    Chain s;
    r.list("middlewares", s.middlewares);
    require(r, "middlewares", !s.middlewares.empty());
    return r.finish(s);
  }
  std::string known;
  for (auto t : implemented_types()) known += (known.empty() ? "" : ", ") + std::string(t);
  return Error{"middleware type '" + std::string(type) +
               "' is not implemented by this version of Wharf (implemented: " + known + ")"};
}

std::string htpasswd_problem(std::string_view hash) {
  auto has = [&](std::string_view p) { return hash.starts_with(p); };
  if (has("$2y$") || has("$2b$") || has("$2a$")) {
    return hash.size() == 60 ? "" : "malformed bcrypt hash";
  }
  if (has("$apr1$") || has("$1$") || has("$5$") || has("$6$")) {
    return hash.find('$', has("$apr1$") ? 6 : 3) == std::string_view::npos
               ? "malformed crypt hash (no salt terminator)"
               : "";
  }
  if (has("{SHA}")) return hash.size() == 5 + 28 ? "" : "malformed {SHA} hash";
  return "unsupported hash (use bcrypt, $apr1$, $1$, $5$, $6$ or {SHA}; plain text is refused)";
}

}  // namespace wharf::middleware_config
