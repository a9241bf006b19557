#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/provider_config.hpp"

namespace wharf::controller {

// Applies one of Traefik's router options, keyed relative to the router in lower case as
// labels and the flattened file spell them; every provider reads routers through it, so a
// label and a file line mean the same:
//   rule              parsed here, so a bad rule is reported against its own label or line
//   entrypoints, middlewares   comma lists (the file's YAML lists arrive joined)
//   service, priority
//   tls               true/false (the file's `tls: {}` arrives as tls=true)
//   tls.certresolver, tls.options      each implies tls
//   tls.domains[N].main, tls.domains[N].sans (a comma list): one certificate per N
//   tls.domains       a comma list of names, one certificate each (Jellyfin's docs write it)
//   rulesyntax        v3 only
//   observability.accesslogs, .metrics, .tracing (true/false), .traceverbosity
//                     (minimal, detailed): accepted so Traefik setups load; routers are
//                     logged and counted either way
// TCP routers (`kTcp`) take the same keys but observability, with the rule in the TCP
// language (HostSNI, ALPN, ClientIP) and `tls.passthrough` (true/false, implies tls).
// Returns nullopt when `key` is not a router option, else the problem (empty when none).
enum class RouterKind { kHttp, kTcp };
std::optional<std::string> router_option(model::ConfigRouter& r, std::string_view key,
                                         std::string_view value,
                                         RouterKind kind = RouterKind::kHttp);

// What can only be judged once every option is in: a tls.domains[N] with sans but no main.
std::vector<std::string> router_options_problems(const model::ConfigRouter& r);

}  // namespace wharf::controller
