#include "text/duration.hpp"

#include <charconv>
#include <cmath>
#include <map>

namespace wharf::text {

std::optional<std::uint64_t> parse_duration_ms(std::string_view s) {
  if (s.empty()) return std::nullopt;
  // A plain number is seconds (Traefik's ptypes.Duration).
  double seconds = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
  if (ec == std::errc{} && p == s.data() + s.size()) {
    if (!(seconds >= 0) || seconds > 1e9) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(seconds * 1000));
  }
  static const std::map<std::string_view, double> kUnits{
      {"ns", 1e-6}, {"us", 1e-3},  {"µs", 1e-3},    {"ms", 1},
      {"s", 1000},  {"m", 60'000}, {"h", 3'600'000}};
  double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (start == i) return std::nullopt;
    double v = 0;
    auto [q, e2] = std::from_chars(s.data() + start, s.data() + i, v);
    if (e2 != std::errc{} || q != s.data() + i) return std::nullopt;
    std::size_t u = i;
    while (i < s.size() && !((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    auto unit = kUnits.find(s.substr(u, i - u));
    if (unit == kUnits.end()) return std::nullopt;
    total += v * unit->second;
    if (total > 1e15) return std::nullopt;
  }
  return static_cast<std::uint64_t>(std::llround(total));
}

}  // namespace wharf::text
