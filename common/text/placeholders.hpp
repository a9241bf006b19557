#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace wharf::text {

// `text` with each `{name}` of `values` replaced, in one pass: what a value brings in is never
// expanded again (a request path holding "{status}" stays as it is). Other braces are kept.
// How the errors middleware fills its query and headers, and forwardauth its sign-in URL.
inline std::string fill_placeholders(
    std::string_view text,
    std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : values) {
        if (text.compare(i, name.size(), name) == 0) {
          out.append(value);
          i += name.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

}  // namespace wharf::text
