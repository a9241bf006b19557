#include "controller/provider/service_options.hpp"

#include <algorithm>
#include <charconv>

namespace wharf::controller {
namespace {

std::optional<bool> parse_bool(std::string_view v) {
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
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
    auto b = parse_bool(value);
    if (!b) return "expected true or false";
    if (*b && !s.sticky) s.sticky.emplace();
    if (!*b) s.sticky.reset();
    return std::string();
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
    auto b = parse_bool(value);
    if (!b) return "expected true or false";
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
