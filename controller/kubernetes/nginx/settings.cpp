#include "controller/kubernetes/nginx/settings.hpp"

#include <map>
#include <set>

#include "text/split_list.hpp"

namespace wharf::controller::kubernetes::nginx {
namespace {

using Kind = Finding::Kind;

// Keys that change nothing Wharf does: nginx's own tuning of what Wharf does its own way, or
// switches whose only setting Wharf has (snippets are never executed).
const std::set<std::string_view> kQuiet = {
    "allow-snippet-annotations",
    "annotations-risk-level",
    "strict-validate-path-type",
    "worker-processes",
    "worker-shutdown-timeout",
    "max-worker-connections",
    "keep-alive",
    "keep-alive-requests",
    "upstream-keepalive-connections",
    "upstream-keepalive-timeout",
    "upstream-keepalive-requests",
    "server-tokens",
    "use-http2",
    "enable-brotli",
    "log-format-upstream",
    "log-format-escape-json",
    "client-header-buffer-size",
    "large-client-header-buffers",
    "proxy-buffer-size",
    "proxy-buffers-number",
    "proxy-buffering",
    "proxy-request-buffering",
    "client-body-buffer-size",
    "proxy-real-ip-cidr",
    "compute-full-forwarded-for",
};

}  // namespace

Settings read_settings(const ConfigMap* map) {
  Settings s;
  if (!map) return s;
  s.source = "configmap " + map->meta.ns + "/" + map->meta.name;
  std::set<std::string> taken;
  auto get = [&](const std::string& key) -> const std::string* {
    auto it = map->data.find(key);
    if (it == map->data.end()) return nullptr;
    taken.insert(key);
    return &it->second;
  };
  auto invalid = [&](const std::string& key, const std::string& why) {
    s.findings.push_back(
        {key, Kind::kInvalid,
         "'" + map->data.at(key) + "': " + why + "; ingress-nginx's default is kept"});
  };
  auto boolean = [&](const std::string& key, bool& out) {
    if (const auto* v = get(key)) {
      if (auto b = parse_bool(*v)) {
        out = *b;
      } else {
        invalid(key, "expected \"true\" or \"false\"");
      }
    }
  };
  auto seconds = [&](const std::string& key, std::uint32_t& out) {
    if (const auto* v = get(key)) {
      if (auto n = parse_seconds(*v)) {
        out = *n;
      } else {
        invalid(key, "expected whole seconds");
      }
    }
  };
  auto status = [&](const std::string& key, unsigned& out, unsigned lo, unsigned hi) {
    if (const auto* v = get(key)) {
      if (auto n = parse_number<unsigned>(*v, hi); n && *n >= lo) {
        out = *n;
      } else {
        invalid(key, "expected a status from " + std::to_string(lo) + " to " + std::to_string(hi));
      }
    }
  };
  if (const auto* v = get("proxy-body-size")) {
    if (auto n = parse_size(*v)) {
      s.body_size = *n;
    } else {
      invalid("proxy-body-size", "expected a size such as 0, 8k, 50m or 1g");
    }
  }
  seconds("proxy-connect-timeout", s.connect_timeout_s);
  seconds("proxy-read-timeout", s.read_timeout_s);
  seconds("proxy-send-timeout", s.send_timeout_s);
  boolean("ssl-redirect", s.ssl_redirect);
  boolean("force-ssl-redirect", s.force_ssl_redirect);
  status("http-redirect-code", s.redirect_code, 301, 308);
  if (s.redirect_code > 302 && s.redirect_code < 307) {
    invalid("http-redirect-code", "expected 301, 302, 307 or 308");
    s.redirect_code = 308;
  }
  boolean("hsts", s.hsts);
  boolean("hsts-include-subdomains", s.hsts_include_subdomains);
  boolean("hsts-preload", s.hsts_preload);
  if (const auto* v = get("hsts-max-age")) {
    if (auto n = parse_seconds(*v)) {
      s.hsts_max_age = *n;
    } else {
      invalid("hsts-max-age", "expected whole seconds");
    }
  }
  status("limit-req-status-code", s.limit_req_status, 400, 599);
  status("limit-conn-status-code", s.limit_conn_status, 400, 599);
  for (auto [key, out] : {std::pair{"whitelist-source-range", &s.allow},
                          std::pair{"denylist-source-range", &s.deny}}) {
    if (const auto* v = get(key)) {
      std::string bad;
      if (auto r = parse_ranges(*v, &bad)) {
        *out = *r;
      } else {
        invalid(key, "'" + bad + "' is not an IP address or CIDR range");
      }
    }
  }
  if (const auto* url = get("global-auth-url"); url && !url->empty()) {
    ExternalAuth e;
    e.url = *url;
    if (const auto* v = get("global-auth-signin")) e.signin = *v;
    if (const auto* v = get("global-auth-signin-redirect-param"); v && !v->empty()) {
      e.signin_param = *v;
    }
    if (const auto* v = get("global-auth-method")) e.method = *v;
    if (const auto* v = get("global-auth-response-headers")) {
      e.response_headers = text::split_list(*v);
    }
    if (const auto* v = get("global-auth-request-redirect")) e.request_redirect = *v;
    s.global_auth = e;
  }
  if (const auto* v = get("use-forwarded-headers"); v && *v == "true") {
    s.findings.push_back({"use-forwarded-headers", Kind::kPartly,
                          "which proxies' X-Forwarded-For is believed is the data plane's "
                          "--trusted-proxies (or the entry point's forwardedHeaders.trustedIPs)"});
  }
  for (const auto& [key, value] : map->data) {
    if (taken.count(key) || kQuiet.count(key)) continue;
    if (key.find("snippet") != std::string::npos) {
      s.findings.push_back({key, Kind::kRefused, "configuration text is never executed by Wharf"});
    } else {
      s.findings.push_back({key, Kind::kLeftOut, "not read by Wharf"});
    }
  }
  return s;
}

}  // namespace wharf::controller::kubernetes::nginx
