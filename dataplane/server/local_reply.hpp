#pragma once

#include <string_view>

#include "dataplane/io/stream.hpp"
#include "dataplane/middleware/middleware.hpp"

namespace wharf::dataplane::server {

// Why the data plane answered by itself instead of the upstream. One place maps the reason to
// the status code and the short body, so every local reply looks the same.
enum class LocalReason {
  kNoRoute,            // 404: no router matched.
  kNoServer,           // 503: the router's service has no server.
  kUpstreamConnect,    // 502: connection refused or reset.
  kUpstreamProtocol,   // 502: the upstream sent something that is not HTTP.
  kUpstreamTimeout,    // 504: no response head in time (or connect timed out).
  kBadRequest,         // 400
  kHeadersTooLarge,    // 431
  kNotImplemented,     // 501: a transfer coding we do not know.
  kRequestTooLarge,    // 413: a body over the buffering middleware's limit.
  kResponseTooLarge,   // 500: a response over the buffering middleware's limit (as Traefik).
  kMisdirected,        // 421: the connection's TLS options are not the ones the router asks.
  kUnresolvedBackend,  // 500: the share of a backend its provider could not resolve.
};

http::status status_for(LocalReason reason);

// The data plane's reply for `reason`: its status and a short text body ("503 Service
// Unavailable"), `detail` appended so a 400 says what was wrong; 503 carries Retry-After.
// Every codec writes it as it writes a middleware's reply.
middleware::Reply local_reply(LocalReason reason, std::string_view detail = {});

// A reply to a gRPC call (content-type application/grpc...): gRPC clients read the call's
// outcome from grpc-status, so the reply becomes a trailers-only response (HTTP 200, the
// status and message in the head, no body) with the code gRPC's HTTP mapping gives the
// status (401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429, 502, 503 and
// 504 UNAVAILABLE, 400 INTERNAL, 413 and 431 RESOURCE_EXHAUSTED, 501 UNIMPLEMENTED, others
// UNKNOWN) and the reply's first line as the message.
middleware::Reply grpc_reply(const middleware::Reply& reply);
// Whether a request's content type makes it a gRPC call.
bool is_grpc(std::string_view content_type);

// The fields every reply of the data plane's carries, in the order they go out: Server, the
// reply's own, a text Content-Type unless it has a type or no body, then `ops` (the response
// header changes the middlewares before it asked for). `body` gets the body to send: the
// reply's, "<status> <reason>" when it brings none, nothing for a status without a body.
void reply_fields(const middleware::Reply& reply, const std::vector<middleware::HeaderOp>& ops,
                  http::fields& fields, std::string& body);

// Writes a reply whole on an HTTP/1.x connection in the client's `version`; HEAD gets the
// head alone (RFC 9110 section 9.3.2).
awaitable<error_code> write_reply(Stream& stream, const middleware::Reply& reply,
                                  const std::vector<middleware::HeaderOp>& ops, unsigned version,
                                  bool keep_alive, bool head_request);

}  // namespace wharf::dataplane::server
