#pragma once

#include <string>

#include "dataplane/io/net.hpp"

namespace wharf::dataplane::server {

// The request's X-Request-Id into `id`: the client's (or a proxy's in front) when it sent one
// usable value (1-200 visible ASCII characters, one header), which then stays in the fields
// as it came; else a new random one (32 hex digits), and any unusable lines are removed.
// Returns true for a new id, which the caller still has to add to the request so the server
// and every log line agree on it: as a field when middlewares will see the request (forward
// auth passes it on), else as a raw line of the upstream head, which spares the field set an
// insertion. Random numbers come from a per-thread generator: no lock, no system call.
bool take_request_id(http::fields& fields, std::string& id);

}  // namespace wharf::dataplane::server
