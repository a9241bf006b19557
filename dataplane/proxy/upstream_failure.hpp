#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/server/local_reply.hpp"

namespace wharf::dataplane::proxy {

// Where one attempt at a server failed, whatever the protocol on either side. Only failures of
// the server (or of the way to it) are values here: what the client did wrong is answered by
// the relay itself (400, 413), and a client that went away ends the exchange.
enum class FailureSource : std::uint8_t {
  kConnect,          // The connection could not be made (refused, unreachable, TLS failed).
  kConnectTimeout,   // Nor within the connect timeout.
  kWrite,            // The request head could not be written: nothing reached the server.
  kConnectionLost,   // The connection ended (reset, closed) before any byte of an answer.
  kResponseTimeout,  // The request went out; no response head came within the timeout.
  kRefused,          // HTTP/2: the server refused the stream (REFUSED_STREAM, or a GOAWAY
                     // naming a lower stream): RFC 9113 section 8.7 says it did nothing.
  kProtocol,         // The server answered something that is not a valid response.
};

struct UpstreamFailure {
  FailureSource source = FailureSource::kConnect;
  // The connection was an idle one from the pool: a server that closed it meanwhile looks
  // exactly like one that failed, and a fresh connection tells them apart.
  bool reused = false;
};

// What the exchange knows about its request when deciding what a failure allows.
struct RetryFacts {
  bool idempotent = false;  // RFC 9110 section 9.2.2.
  bool has_body = false;    // A body was (or is being) sent: it cannot be sent again.
  bool upgrade = false;     // A protocol switch: the server may have acted on it.
  bool retry_middleware = false;
  std::uint32_t retry_attempts = 0;  // The retry middleware's `attempts` (tries in all).
  bool may_retry_same = true;        // The one retry on a fresh connection is still unused.
  // Before this failure: attempts that ended with the server down, distinct servers that
  // failed this request, and whether this server is one of them already.
  std::uint32_t tries = 0;
  std::uint32_t servers_failed = 0;
  bool server_failed_before = false;
};

enum class RetryAction : std::uint8_t {
  kSameServer,  // Again on the same server, over a fresh connection.
  kNextServer,  // The server counts as down: another server (or, with a retry middleware,
                // the same one after its pause) gets the request.
  kGiveUp,      // The client gets `reply`; `server_failed` says whether the server is marked.
};

struct RetryDecision {
  RetryAction action = RetryAction::kGiveUp;
  server::LocalReason reply = server::LocalReason::kUpstreamConnect;
  bool server_failed = false;  // The server is marked failed (passive health).
  bool operator==(const RetryDecision&) const = default;
};

// At most this many servers are tried for one request without a retry middleware.
inline constexpr std::uint32_t kMaxServers = 3;

// What the exchange does after `failure`: a pure function of the failure and the request's
// facts, so every rule is tested as a table (tests/dataplane/retry_decision_test.cpp) and the
// HTTP/1.1 and HTTP/2 relays decide alike. The rules:
//  - A request nothing of which reached the server (no connection, the head not written, an
//    HTTP/2 stream refused) may go anywhere: to another server, up to kMaxServers, or as many
//    tries as a retry middleware allows.
//  - A reused connection lost before any answer is retried once on a fresh connection to the
//    same server, when the request had no body (the server cannot have seen it).
//  - A fresh connection lost before any answer moves to another server only when repeating
//    the request cannot hurt: no body, an idempotent method, no upgrade.
//  - No response head in time: 504, or another try when a retry middleware asks for one and
//    the request can be repeated.
//  - A malformed answer is a 502: the server did answer, it is not retried.
RetryDecision decide_retry(const UpstreamFailure& failure, const RetryFacts& facts);

// The local reply for a failure that ends the exchange, and the name metrics give its source.
server::LocalReason reply_for(FailureSource source);
std::string_view failure_name(FailureSource source);

}  // namespace wharf::dataplane::proxy
