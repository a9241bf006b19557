#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/forward.hpp"
#include "dataplane/proxy/relay_buffer.hpp"
#include "dataplane/proxy/request_facts.hpp"

namespace wharf::dataplane::proxy {

using RequestParser = http::request_parser<http::buffer_body>;

// The relay of HTTP/1.1 on both sides: bytes go from one socket to the other as they come,
// the request body straight into the relay buffer around the parser, a plain response head
// (proxy/plain_response.hpp) passed on as received, and body pieces written at once when the
// socket takes them. The busiest pairing by far, so it keeps the kernel-friendly path that
// bench/ measured (docs/performance.md); every decision it makes about a failure, every local
// reply and every header rule is the shared one (proxy/forward, proxy/request_facts,
// proxy/response). A request whose server speaks HTTP/2 goes through the message relay
// (proxy/message_relay) with the same upstream head.
class H1Relay final : public Relay {
 public:
  // `client_keep_alive`: the client asked to keep its connection.
  H1Relay(ForwardContext& ctx, Stream& client, beast::flat_buffer& client_buffer,
          RequestParser& request, RelayBuffer& relay_buffer, beast::flat_buffer& upstream_buffer,
          std::string& head_buffer, bool client_keep_alive);

  awaitable<AttemptResult> attempt(bool may_retry_same) override;
  void retarget(const routing::CompiledServer& next) override;
  awaitable<bool> give_up(server::LocalReason reason) override;
  RetryFacts facts() const override;

  // The request was read to its end: by the parser, or its Content-Length body around it.
  bool request_read() const { return request.is_done() || request_body_relayed; }
  // The client connection may carry another request after this one's response: the client
  // wants it, its request was read to the end and the worker is not draining.
  bool client_may_keep() const { return client_keep_alive && !ctx.draining && request_read(); }

  ForwardContext& ctx;
  Stream& client;
  beast::flat_buffer& client_buffer;
  RequestParser& request;     // Head parsed; body (if any) still to be read.
  RelayBuffer& relay_buffer;  // Reused for both directions.
  // Read buffer for upstream responses; owned by the session so its capacity (grown for body
  // reads) is allocated once per connection, not once per request.
  beast::flat_buffer& upstream_buffer;
  std::string& head_buffer;  // Scratch for serialized message heads, reused across requests.
  bool client_keep_alive;    // The client asked for it.
  // Shorthands for the context's fields the relay's helpers read.
  const routing::CompiledService& service;
  const model::EntryPointTimeouts& timeouts;
  std::string_view target;
  std::vector<middleware::HeaderOp>& response_ops;
  const middleware::ExchangePolicy& policy;
  ExchangeReport& report;
  // The request body went upstream whole. A Content-Length body is read around the parser
  // (straight into the relay buffer), which then never reports it done.
  bool request_body_relayed = false;

 private:
  // Nothing when the TLS handshake of a new connection chose h2 (the connection then went to
  // the HTTP/2 pool).
  awaitable<std::optional<AttemptResult>> attempt_h1(bool may_retry_same);
  awaitable<AttemptResult> local(server::LocalReason reason, std::string_view detail = {});
  awaitable<AttemptResult> bad_answer(std::string_view what);
  awaitable<AttemptResult> switch_protocols(Stream& up, beast::flat_buffer& up_buffer,
                                            const http::response_header<>& head);

  UpstreamRequest up_;  // The upstream head, made once from the client's (fields moved).
};

}  // namespace wharf::dataplane::proxy
