#pragma once

#include <functional>
#include <optional>
#include <string>

#include "model/provider_config.hpp"

namespace wharf::controller {

// Traefik's basicAuth.usersFile: the controller reads the file (the data plane reads no files)
// and puts its `user:hash` lines in front of the middleware's `users`, which gives the file
// precedence for a user listed in both, as in Traefik. Blank lines and `#` comments are
// skipped. A file that cannot be read rejects that middleware, naming the file; the routers
// using it are then disabled, never served without it. Like certificate files, the file is read
// again whenever the provider rebuilds, not when only the file changes.
using ReadFile = std::function<std::optional<std::string>(const std::string& path)>;
void inline_users_files(model::ProviderConfig& config, const ReadFile& read);

}  // namespace wharf::controller
