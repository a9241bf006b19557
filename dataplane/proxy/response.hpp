#pragma once

#include <optional>
#include <string>

#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/h1_relay.hpp"
#include "dataplane/proxy/plain_response.hpp"

namespace wharf::dataplane::proxy {

using ResponseParser = http::response_parser<http::buffer_body>;

struct ResponseOutcome {
  bool client_keep_alive = false;  // The client connection may carry another request.
  bool upstream_reusable = false;  // The upstream connection may go back to the pool.
  // Nothing of the response went out and the client is to get this reply of the data plane's
  // instead (written by the caller, as any other: counted, and open to error pages).
  std::optional<server::LocalReason> reply = std::nullopt;
};

// Largest response head taken from an upstream.
inline constexpr std::size_t kMaxResponseHead = 64 * 1024;

// Reads a response head into `rp` as http::async_read_header does (the same parser calls, the
// same errors: end_of_stream when the server closed before sending anything), without its two
// layers of composed operations, through which every completion passed, copying the executor
// at each layer, and taking lines that end in a bare LF, which Beast's parser does not. With
// `plain`, a head of PlainResponse's shape is taken without the parser: `plain->size` is then
// non-zero, the head is still in `buffer` and `rp` has seen nothing.
awaitable<error_code> read_response_head(Stream& up, beast::flat_buffer& buffer, ResponseParser& rp,
                                         PlainResponse* plain);

// Relays the response whose head is in `rp` to the client: hop-by-hop fields out, the
// middlewares' header changes in, the body streamed (compressed when a compress middleware
// and the client agree on a coding), and the buffering middleware's response limit enforced.
awaitable<ResponseOutcome> relay_response(H1Relay& x, Stream& up, beast::flat_buffer& up_buffer,
                                          ResponseParser& rp, const RequestFacts& req);

// Whether a response head may be taken as a PlainResponse: nothing acts on the response
// (header changes and the sticky cookie, compression, error pages, a size limit), and the
// request is not HEAD (whose response has no body to relay by its length).
inline bool plain_response_allowed(const H1Relay& x, const RequestFacts& req) {
  return x.response_ops.empty() && !x.policy.compress && x.policy.errors.empty() &&
         x.policy.max_response_body == 0 && !req.head;
}

// The same as relay_response for a head read as a PlainResponse: its field lines go out as
// received, hop-by-hop ones left out, and its body is relayed by length.
// Not a coroutine itself: it writes the head into the exchange's head buffer and hands back
// relay_length's awaitable, so a request goes through one coroutine frame and resumption
// fewer; plain_response_outcome then says what may be reused.
awaitable<RelayResult> relay_plain_response(H1Relay& x, Stream& up, beast::flat_buffer& up_buffer,
                                            const PlainResponse& head, const RequestFacts& req);
ResponseOutcome plain_response_outcome(const H1Relay& x, const PlainResponse& head,
                                       const RelayResult& relayed,
                                       const beast::flat_buffer& up_buffer);

}  // namespace wharf::dataplane::proxy
