#include "controller/provider/service_options.hpp"

#include <algorithm>
#include <charconv>

#include "controller/docker/labels.hpp"
#include "text/duration.hpp"

namespace wharf::controller {

std::optional<std::uint32_t> duration_ms(std::string_view v) {
  auto ms = text::parse_duration_ms(v);
  if (!ms || *ms == 0 || *ms > 86'400'000) return std::nullopt;
  return static_cast<std::uint32_t>(*ms);
}

namespace {

std::optional<std::string> health_check_option(model::HealthCheck& h, std::string_view opt,
                                               std::string_view value) {
  const std::string v(value);
  auto number = [&](std::uint32_t& out) -> std::string {
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size()) return "expected a number";
    out = n;
    return {};
  };
  if (opt == "path") {
    h.path = v;
  } else if (opt == "method") {
    h.method = v;
    std::transform(h.method.begin(), h.method.end(), h.method.begin(),
                   [](unsigned char c) { return std::toupper(c); });
  } else if (opt == "interval" || opt == "timeout") {
    auto ms = duration_ms(value);
    if (!ms) return "expected a duration such as 10s or 500ms";
    (opt == "interval" ? h.interval_ms : h.timeout_ms) = *ms;
  } else if (opt == "hostname") {
    h.hostname = v;
  } else if (opt == "port") {
    return number(h.port);
  } else if (opt == "status") {
    return number(h.status);
  } else if (opt.starts_with("headers.") && opt.size() > 8) {
    h.headers.emplace_back(std::string(opt.substr(8)), v);
  } else if (opt == "scheme") {
    h.scheme = v;
    std::transform(h.scheme.begin(), h.scheme.end(), h.scheme.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (h.scheme != "http" && h.scheme != "https") return "expected http or https";
  } else if (opt == "mode") {
    if (v != "http") return "only the http mode is supported";
  } else if (opt == "followredirects") {
    // Redirects are not followed: a 3xx counts as healthy, as Traefik's default does in effect.
  } else {
    return std::nullopt;
  }
  return std::string();
}

}  // namespace

std::optional<std::string> load_balancer_option(model::ConfigService& s, std::string_view key,
                                                std::string_view value) {
  const std::string v(value);
  if (key == "strategy") {
    s.strategy = v;
    std::transform(s.strategy.begin(), s.strategy.end(), s.strategy.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return std::string();
  }
  if (key == "sticky.cookie") {
    auto b = docker::parse_bool(value);
    if (!b) return b.error();
    if (*b && !s.sticky) s.sticky.emplace();
    if (!*b) s.sticky.reset();
    return std::string();
  }
  if (key.starts_with("healthcheck.")) {
    auto& h = s.health_check ? *s.health_check : s.health_check.emplace();
    return health_check_option(h, key.substr(std::string_view("healthcheck.").size()), value);
  }
  if (!key.starts_with("sticky.cookie.")) return std::nullopt;
  auto& c = s.sticky ? *s.sticky : s.sticky.emplace();
  auto opt = key.substr(std::string_view("sticky.cookie.").size());
  if (opt == "name") {
    c.name = v;
  } else if (opt == "path") {
    c.path = v;
  } else if (opt == "samesite") {
    c.same_site = v;
    std::transform(c.same_site.begin(), c.same_site.end(), c.same_site.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
  } else if (opt == "secure" || opt == "httponly") {
    auto b = docker::parse_bool(value);
    if (!b) return b.error();
    (opt == "secure" ? c.secure : c.http_only) = *b;
  } else if (opt == "maxage") {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size())
      return "expected a number of seconds";
    c.max_age = n;
  } else {
    return std::nullopt;
  }
  return std::string();
}

}  // namespace wharf::controller
