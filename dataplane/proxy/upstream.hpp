#pragma once

#include <optional>

#include "dataplane/io/net.hpp"
#include "dataplane/proxy/downstream.hpp"
#include "dataplane/proxy/request_facts.hpp"
#include "dataplane/proxy/upstream_failure.hpp"

namespace wharf::dataplane::proxy {

// What reading a response head gave: a head (interim or final), or a failure of the server.
struct HeadRead {
  std::optional<UpstreamFailure> failure;
  ResponseBody body;  // For a final head: how its body is delimited.
};
inline HeadRead head_failure(FailureSource source, bool reused) {
  HeadRead r;
  r.failure = UpstreamFailure{source, reused};
  return r;
}

// The server side of one attempt for the message relay (proxy/message_relay), whatever the
// server speaks: an HTTP/1.1 connection (proxy/h1_upstream) or an HTTP/2 stream on a pooled,
// multiplexed connection (codec/http2/client_stream). Each failure before a response comes
// back as a value for decide_retry.
class Upstream {
 public:
  virtual ~Upstream() = default;

  // Takes a pooled connection (when `may_reuse`) or makes one, and sends the request head.
  virtual awaitable<std::optional<UpstreamFailure>> open(const UpstreamRequest& req,
                                                         bool may_reuse) = 0;
  // A piece of the request body; `last` ends it, with `trailers` (may be null). Waits while the
  // server is not taking bytes (its flow-control window, its socket).
  virtual awaitable<error_code> send_body(const char* data, std::size_t n, bool last,
                                          http::fields* trailers) = 0;
  // The next response head into `head`: interim ones (1xx) come one by one before the final.
  virtual awaitable<HeadRead> read_head(http::response_header<>& head) = 0;
  // The next piece of the response body.
  virtual awaitable<BodyPiece> read_body(char* buf, std::size_t size) = 0;
  // The response's trailer fields, once its last piece was read; null when none.
  virtual http::fields* trailers() = 0;
  // The exchange is over; `complete` when both messages went whole, so the connection (or
  // stream's connection) may serve another request.
  virtual void finish(bool complete) = 0;
  // Stops the request at once: whatever waits on this server (a head, a body piece, room to
  // send) completes with an error. HTTP/1.1 closes the connection; HTTP/2 resets the stream.
  virtual void abort() = 0;
  // Whether the connection was an idle one from the pool.
  virtual bool reused() const = 0;
  // open() found that the TLS handshake of a new connection chose h2: the connection went to
  // the HTTP/2 pool and the request is to be sent there (nothing was written).
  virtual bool switched_to_h2() const { return false; }
};

}  // namespace wharf::dataplane::proxy
