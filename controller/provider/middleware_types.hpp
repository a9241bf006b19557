#pragma once

#include <string_view>

namespace wharf::controller {

// Traefik's HTTP middleware type names (lower-cased, as labels and the file provider key them).
inline bool is_traefik_middleware_type(std::string_view t) {
  static constexpr std::string_view kTypes[] = {
      "addprefix",       "basicauth",         "buffering",        "chain",      "circuitbreaker",
      "compress",        "contenttype",       "digestauth",       "errors",     "forwardauth",
      "grpcweb",         "headers",           "ipallowlist",      "ipdenylist", "ipwhitelist",
      "inflightreq",     "passtlsclientcert", "plugin",           "ratelimit",  "redirectregex",
      "redirectscheme",  "replacepath",       "replacepathregex", "retry",      "stripprefix",
      "stripprefixregex"};
  for (auto k : kTypes) {
    if (k == t) return true;
  }
  return false;
}

}  // namespace wharf::controller
