#pragma once

#include <string_view>

#include "model/provider_config.hpp"
#include "model/result.hpp"

namespace wharf::controller::file {

// Traefik v3 dynamic configuration (`http.routers`, `http.services`, `http.middlewares`; keys
// case-insensitive as in Traefik) → provider config. A file that is not YAML at all is an error
// naming the line and column; a bad object only carries its own error, naming the line, and
// everything else in the file is kept. `name` prefixes every message ("dynamic.yml:12: ...").
model::Result<model::ProviderConfig> translate(std::string_view yaml, std::string_view name);

}  // namespace wharf::controller::file
