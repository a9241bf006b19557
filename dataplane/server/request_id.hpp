#pragma once

#include <string>

#include "dataplane/net.hpp"

namespace wharf::dataplane::server {

// The request's X-Request-Id, kept when the client (or a proxy in front) sent a usable one
// (1-200 visible ASCII characters, one header), else a new random one (32 hex digits) set on
// the request so the server and every log line agree on it. Random numbers come from a
// per-thread generator: no lock, no system call per request.
const std::string& ensure_request_id(http::fields& fields, std::string& scratch);

}  // namespace wharf::dataplane::server
