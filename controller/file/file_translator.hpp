#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "model/provider_config.hpp"
#include "model/result.hpp"

namespace wharf::controller::file {

// Reads a file named by the configuration (certificates); nothing when it cannot be read.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;
std::optional<std::string> read_whole_file(const std::string& path);

// Traefik v3 dynamic configuration (`http.routers`, `http.services`, `http.middlewares`,
// `tls.certificates`; keys case-insensitive as in Traefik) → provider config. A file that is not
// YAML at all is an error naming the line and column; a bad object only carries its own error,
// naming the line, and everything else in the file is kept. `name` prefixes every message
// ("dynamic.yml:12: ..."). Certificate files are read through `read`.
model::Result<model::ProviderConfig> translate(std::string_view yaml, std::string_view name,
                                               const FileReader& read = read_whole_file);

}  // namespace wharf::controller::file
