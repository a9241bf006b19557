#pragma once

#include <string>
#include <string_view>

// Literal text placed inside the expressions the translators generate for the data plane, so
// a user's value is always matched or written as itself.
namespace wharf::text {

// Literal text inside a Perl-format replacement (redirectregex, replacepathregex): `$` and `\`
// escaped.
inline std::string perl_literal(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '$' || c == '\\') {
      out += c == '$' ? "$$" : "\\\\";
    } else {
      out += c;
    }
  }
  return out;
}

// Literal text inside a regular expression: every metacharacter escaped.
inline std::string regex_literal(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace wharf::text
