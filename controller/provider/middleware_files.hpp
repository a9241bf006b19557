#pragma once

#include <functional>
#include <optional>
#include <string>

#include "model/provider_config.hpp"

namespace wharf::controller {

// Files that middleware options name, read by the controller (the data plane reads no files)
// and put in the options in their place:
//  - basicAuth.usersFile: its `user:hash` lines go in front of the middleware's `users`, which
//    gives the file precedence for a user listed in both, as in Traefik; blank lines and `#`
//    comments are skipped;
//  - forwardAuth.tls.ca, .cert, .key: the PEM, checked (a CA bundle that parses, a key that
//    belongs to the certificate).
// A file that cannot be read or is wrong rejects that middleware, naming the file; the routers
// using it are then disabled, never served without it. Like certificate files, the files are
// read again whenever the provider rebuilds, not when only a file changes.
using ReadFile = std::function<std::optional<std::string>(const std::string& path)>;
void inline_middleware_files(model::ProviderConfig& config, const ReadFile& read);

}  // namespace wharf::controller
