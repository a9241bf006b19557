#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/provider_config.hpp"

namespace wharf::controller {

// Go durations as Traefik writes them ("10s", "500ms", "1m") or a bare number of seconds;
// nothing when malformed, not positive or over a day.
std::optional<std::uint32_t> duration_ms(std::string_view v);

// Applies one of Traefik's load-balancer options, keyed relative to `loadBalancer` in
// lower case as labels and the flattened file spell them: `strategy`, `sticky.cookie`
// (true/false), `sticky.cookie.name`, `.secure`, `.httponly`, `.samesite`, `.maxage`, `.path`,
// `healthcheck.path`, `.interval`, `.timeout`, `.hostname`, `.port`, `.headers.<name>`,
// `.status`, `.method`, `.scheme` (http, https), `.mode` (http), `.followredirects`.
// Returns nullopt when `key` is not one of these, else the problem (empty when none). The
// compiler checks the combination (model::service_options_problem).
std::optional<std::string> load_balancer_option(model::ConfigService& s, std::string_view key,
                                                std::string_view value);

}  // namespace wharf::controller
