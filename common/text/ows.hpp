#pragma once

#include <string_view>

namespace wharf::text {

// `s` without the optional whitespace (SP and HTAB, RFC 9110 section 5.6.3) around it: how a
// field value or a list element is read.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace wharf::text
