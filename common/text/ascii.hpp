#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace wharf::text {

// ASCII lower case, as configuration keys compare (Traefik's keys are case-insensitive).
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace wharf::text
