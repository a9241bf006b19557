#pragma once

#include <charconv>
#include <string_view>

namespace wharf::text {

// The whole of `s` as an integer of `out`'s type (decimal, in range); false, and `out` as it
// was, otherwise.
template <typename T>
bool parse_integer(std::string_view s, T& out) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return false;
  out = v;
  return true;
}

}  // namespace wharf::text
