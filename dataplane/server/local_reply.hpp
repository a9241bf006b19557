#pragma once

#include <string_view>

#include "dataplane/middleware/middleware.hpp"
#include "dataplane/net.hpp"

namespace wharf::dataplane::server {

// Why the data plane answered by itself instead of the upstream. One place maps the reason to
// the status code and the short body, so every local reply looks the same.
enum class LocalReason {
  kNoRoute,           // 404: no router matched.
  kNoServer,          // 503: the router's service has no server.
  kUpstreamConnect,   // 502: connection refused or reset.
  kUpstreamProtocol,  // 502: the upstream sent something that is not HTTP.
  kUpstreamTimeout,   // 504: no response head in time (or connect timed out).
  kBadRequest,        // 400
  kHeadersTooLarge,   // 431
  kNotImplemented,    // 501: a transfer coding we do not know.
  kRequestTooLarge,   // 413: a body over the buffering middleware's limit.
  kResponseTooLarge,  // 500: a response over the buffering middleware's limit (as Traefik).
  kMisdirected,       // 421: the connection's TLS options are not the ones the router asks.
};

http::status status_for(LocalReason reason);

// Writes a complete local reply; `detail` is appended to the body so a 400 says what was wrong.
awaitable<error_code> write_local_reply(Stream& stream, LocalReason reason, unsigned version,
                                        bool keep_alive, bool head_request,
                                        std::string_view detail = {});

// Writes a reply a middleware made (redirect, 401, 429...), with the response header changes
// the middlewares before it asked for.
awaitable<error_code> write_middleware_reply(Stream& stream, const middleware::Reply& reply,
                                             const std::vector<middleware::HeaderOp>& ops,
                                             unsigned version, bool keep_alive, bool head_request);

}  // namespace wharf::dataplane::server
