#include <boost/regex.hpp>

#include "dataplane/middleware/builders.hpp"
#include "rules/ast.hpp"
#include "text/split_list.hpp"

// Traefik's `headers` middleware: custom request and response headers, the security headers
// (HSTS, frame options, nosniff, CSP...), allowed hosts and CORS.
namespace wharf::dataplane::middleware {
namespace {

class Headers : public Middleware {
 public:
  // allowedHosts looks at the first hostsProxyHeaders header present, as Traefik's does (the
  // proxy in front put the client's Host there), lower-cased and without its port; else at the
  // request's own (already normalized) host.
  bool host_allowed(const Request& req) const {
    const auto& allowed = s_.allowed_hosts;
    for (const auto& name : s_.hosts_proxy_headers) {
      auto it = req.fields.find(name);
      if (it == req.fields.end()) continue;
      std::string host;
      rules::normalize_host(it->value(), host);
      return std::find(allowed.begin(), allowed.end(), host) != allowed.end();
    }
    return std::find(allowed.begin(), allowed.end(), req.host) != allowed.end();
  }

  bool https_per_proxy(const Request& req) const {
    for (const auto& [name, value] : s_.ssl_proxy_headers) {
      auto it = req.fields.find(name);
      if (it != req.fields.end() && it->value() == value) return true;
    }
    return false;
  }

  explicit Headers(const spec::Headers& s) : s_(s) {
    if (s_.sts_seconds > 0) {
      sts_ = "max-age=" + std::to_string(s_.sts_seconds);
      if (s_.sts_include_subdomains) sts_ += "; includeSubDomains";
      if (s_.sts_preload) sts_ += "; preload";
    }
    methods_ = text::join(s_.allow_methods, ", ");
    allow_headers_ = text::join(s_.allow_headers, ", ");
    expose_headers_ = text::join(s_.expose_headers, ", ");
    for (const auto& o : s_.allow_origins) any_origin_ = any_origin_ || o == "*";
  }

  std::optional<Reply> handle(Request& req) const override {
    if (!s_.development && !s_.allowed_hosts.empty() && !host_allowed(req)) {
      return Reply{400, {}, "400 Bad Request: host not allowed\n"};
    }
    std::string_view origin = req.fields[http::field::origin];
    if (s_.has_cors() && req.method == "OPTIONS" && !origin.empty() &&
        req.fields.count(http::field::access_control_request_method)) {
      return preflight(origin);  // Answered here; the upstream never sees a preflight.
    }
    for (const auto& [name, value] : s_.request) {
      if (value.empty()) {
        req.fields.erase(name);
      } else {
        req.fields.set(name, value);
      }
    }
    for (const auto& [name, value] : s_.request_append) req.fields.insert(name, value);
    auto& out = req.response;
    auto set = [&](std::string_view name, const std::string& value) {
      if (!value.empty()) out.push_back({HeaderOp::Kind::kSet, std::string(name), value});
    };
    // HSTS means nothing over plain HTTP (RFC 6797 section 7.2) unless forced.
    if (!sts_.empty() && !s_.development &&
        (req.scheme() == "https" || s_.force_sts || https_per_proxy(req))) {
      set("Strict-Transport-Security", sts_);
    }
    set("X-Frame-Options", s_.frame_options);
    if (s_.nosniff) set("X-Content-Type-Options", "nosniff");
    set("X-XSS-Protection", s_.xss);
    set("Content-Security-Policy", s_.csp);
    set("Content-Security-Policy-Report-Only", s_.csp_report_only);
    set("Referrer-Policy", s_.referrer_policy);
    set("Permissions-Policy", s_.permissions_policy);
    if (s_.has_cors() && !origin.empty()) cors(origin, out);
    for (const auto& [name, value] : s_.response) {
      out.push_back({value.empty() ? HeaderOp::Kind::kErase : HeaderOp::Kind::kSet, name, value});
    }
    for (const auto& [name, value] : s_.response_append) {
      out.push_back({HeaderOp::Kind::kAppend, name, value});
    }
    return std::nullopt;
  }

 private:
  bool origin_allowed(std::string_view origin) const {
    if (any_origin_) return true;
    for (const auto& o : s_.allow_origins) {
      if (beast::iequals(o, origin)) return true;
    }
    for (const auto& re : s_.allow_origin_regexes) {
      if (boost::regex_match(origin.begin(), origin.end(), *re)) return true;
    }
    return false;
  }

  // "*" is not allowed together with credentials (Fetch standard), so then the origin is
  // echoed, and a response that depends on the origin says so in Vary.
  std::string allow_origin_value(std::string_view origin) const {
    return any_origin_ && !s_.allow_credentials ? "*" : std::string(origin);
  }

  Reply preflight(std::string_view origin) const {
    Reply r;
    r.status = 200;
    r.no_body = true;
    if (origin_allowed(origin)) {
      r.headers.emplace_back("Access-Control-Allow-Origin", allow_origin_value(origin));
      if (s_.allow_credentials) r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
      if (!methods_.empty()) r.headers.emplace_back("Access-Control-Allow-Methods", methods_);
      if (!allow_headers_.empty()) {
        r.headers.emplace_back("Access-Control-Allow-Headers", allow_headers_);
      }
      r.headers.emplace_back("Access-Control-Max-Age", std::to_string(s_.max_age));
      if (s_.add_vary) r.headers.emplace_back("Vary", "Origin");
    }
    return r;
  }

  void cors(std::string_view origin, std::vector<HeaderOp>& out) const {
    if (!origin_allowed(origin)) return;
    out.push_back(
        {HeaderOp::Kind::kSet, "Access-Control-Allow-Origin", allow_origin_value(origin)});
    if (s_.allow_credentials) {
      out.push_back({HeaderOp::Kind::kSet, "Access-Control-Allow-Credentials", "true"});
    }
    if (!expose_headers_.empty()) {
      out.push_back({HeaderOp::Kind::kSet, "Access-Control-Expose-Headers", expose_headers_});
    }
    if (s_.add_vary) out.push_back({HeaderOp::Kind::kAppend, "Vary", "Origin"});
  }

  spec::Headers s_;
  std::string sts_, methods_, allow_headers_, expose_headers_;
  bool any_origin_ = false;
};

}  // namespace

std::shared_ptr<const Middleware> make_headers(const spec::Headers& s) {
  return std::make_shared<Headers>(s);
}

}  // namespace wharf::dataplane::middleware
