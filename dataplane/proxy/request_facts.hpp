#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dataplane/io/net.hpp"
#include "dataplane/proxy/forward.hpp"

namespace wharf::dataplane::proxy {

// What the exchange still needs to know about the client's request once its fields have been
// moved into the upstream request.
struct RequestFacts {
  bool head = false;
  unsigned version = 11;  // The client's: 10, 11, or 20 for HTTP/2.
  bool expect_continue = false;
  bool upgrade = false;
  bool idempotent = false;
  // The client said `TE: trailers`: it takes trailer fields. The field is hop-by-hop and goes,
  // but an HTTP/2 server gets `te: trailers` again (RFC 9113 section 8.2.2 allows exactly that,
  // and gRPC servers refuse requests without it).
  bool te_trailers = false;
  std::string forwarded;  // X-Forwarded-* and X-Real-IP lines for the upstream head.
  // For compress, captured only when a middleware asked for it.
  std::optional<std::string> accept_encoding;  // Absent header ≠ empty header.
};

// The request's body as the client's codec knows it.
struct ClientBody {
  bool follows = false;                 // A body follows the head.
  bool chunked = false;                 // HTTP/1.1: it came chunked.
  std::optional<std::uint64_t> length;  // Content-Length, when the client said it.
  bool may_upgrade = false;  // HTTP/1.1: the Connection field lists "upgrade" (the parser's
                             // flag, so other requests never search the fields for Upgrade).
};

// The request as it goes upstream, made once per request and kept across attempts: the
// client's head (its fields moved, not copied), hop-by-hop fields removed (RFC 9110 section
// 7.6.1), the forwarding fields and our own framing added. Each upstream codec writes it its
// own way (HTTP/1.1 lines, HTTP/2 header fields).
struct UpstreamRequest {
  http::request<http::empty_body> head;
  RequestFacts facts;
  bool body_follows = false;
};

// Fills `out` from the client's head `req` (moved from).
void make_upstream_request(const ForwardContext& ctx, http::request_header<>& req,
                           const ClientBody& body, UpstreamRequest& out);

// The Host the request carries to `server`: the client's unless the service does not pass it.
void set_upstream_host(const ForwardContext& ctx, const routing::CompiledServer& server,
                       UpstreamRequest& up);

}  // namespace wharf::dataplane::proxy
