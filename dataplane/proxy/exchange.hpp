#pragma once

#include <chrono>
#include <string_view>

#include <prometheus/gauge.h>

#include <optional>

#include "dataplane/middleware/middleware.hpp"
#include "dataplane/net.hpp"
#include "dataplane/proxy/forwarded.hpp"
#include "dataplane/proxy/relay_buffer.hpp"
#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "dataplane/server/local_reply.hpp"
#include "model/routing_table.hpp"

namespace wharf::dataplane::proxy {

using RequestParser = http::request_parser<http::buffer_body>;

// How a proxied request went, for the circuit breaker now and for metrics and logs.
struct ExchangeReport {
  unsigned status = 0;           // As sent to the client; 0 when nothing was.
  bool upstream_failed = false;  // The server failed at the network level (refused, reset,
                                 // no response head in time).
  std::chrono::steady_clock::duration upstream_time{};  // Until the response head arrived.
  const routing::CompiledServer* server = nullptr;      // The last one tried.
  std::uint64_t request_bytes = 0, response_bytes = 0;  // Body bytes relayed.
  std::optional<server::LocalReason> local;             // Set when the data plane answered itself.
  std::uint16_t connect_errors = 0, timeouts = 0;       // Of the servers tried.
};

// Everything one proxied request needs. The session owns all of it.
struct Exchange {
  Stream& client;
  beast::flat_buffer& client_buffer;
  RequestParser& request;   // Head parsed; body (if any) still to be read.
  std::string_view target;  // Origin-form target to send upstream.
  const routing::CompiledService& service;
  const routing::CompiledServer* server;  // Changes when a failed server's request moves on.
  const ClientInfo& client_info;
  std::string_view scheme;
  // A new X-Request-Id for the upstream head's raw lines; empty when the fields carry one.
  std::string_view request_id;
  const model::EntryPointTimeouts& timeouts;
  UpstreamPool& pool;
  RelayBuffer& relay_buffer;  // Reused for both directions.
  // Read buffer for upstream responses; owned by the session so its capacity (grown for body
  // reads) is allocated once per connection, not once per request.
  beast::flat_buffer& upstream_buffer;
  std::string& head_buffer;  // Scratch for serialized message heads, reused across requests.
  bool client_keep_alive;    // The client asked for it.
  const bool& draining;      // The worker's drain flag, read when the response head goes out.
  // Response header changes the router's middlewares asked for (headers, CORS...) and the
  // sticky-session cookie.
  std::vector<middleware::HeaderOp>& response_ops;
  const middleware::ExchangePolicy& policy;  // Retry, limits, compression, error pages.
  ExchangeReport& report;
  prometheus::Gauge* tunnels;  // Upgraded connections open on this entrypoint.
  // The request body went upstream whole. A Content-Length body is read around the parser
  // (straight into the relay buffer), which then never reports it done.
  bool request_body_relayed = false;
};

// Sends the request upstream, streams both bodies, relays 1xx and upgrades, and writes a local
// 502/504 when the upstream fails before a response started. A server that cannot be reached,
// or that drops a request it cannot have acted on (no body, idempotent method, nothing
// answered), is marked failed and the request goes to another server of the service, up to
// kMaxServers in all; a retry middleware makes that `attempts` tries with a growing pause,
// and adds requests that timed out waiting for a response head. Returns whether the client
// connection may carry another request.
inline constexpr int kMaxServers = 3;

// The request was read to its end: by the parser, or its Content-Length body around it.
inline bool request_read(const Exchange& x) {
  return x.request.is_done() || x.request_body_relayed;
}

// The client connection may carry another request after this one's response: the client
// wants it, its request was read to the end and the worker is not draining.
inline bool client_may_keep(const Exchange& x) {
  return x.client_keep_alive && !x.draining && request_read(x);
}
awaitable<bool> forward(Exchange& x);

}  // namespace wharf::dataplane::proxy
