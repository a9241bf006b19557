#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/gauge.h>

#include "dataplane/io/net.hpp"
#include "dataplane/middleware/middleware.hpp"
#include "dataplane/proxy/error_page.hpp"
#include "dataplane/proxy/forwarded.hpp"
#include "dataplane/proxy/upstream_failure.hpp"
#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "dataplane/server/local_reply.hpp"
#include "model/routing_table.hpp"

namespace wharf::dataplane::codec::http2 {
class ClientPool;
}

namespace wharf::dataplane::proxy {

class Downstream;

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

// What an errors middleware's page service is told of the request (proxy/error_page.hpp),
// copied before the request's fields move upstream; filled only when the router has one.

// What every attempt at a server needs, whatever the protocols on either side. The exchange
// (proxy/exchange.hpp) owns all of it.
struct ForwardContext {
  Downstream& down;  // The client side.
  const routing::CompiledService& service;
  const routing::CompiledServer* server;  // Changes when a failed server's request moves on.
  const ClientInfo& client_info;
  std::string_view scheme;  // "https" or "http": X-Forwarded-Proto.
  std::string_view target;  // Origin-form target to send upstream.
  // A new X-Request-Id for the upstream head's raw lines; empty when the fields carry one.
  std::string_view request_id;
  const model::EntryPointTimeouts& timeouts;  // The client's entrypoint.
  UpstreamPool& pool;
  codec::http2::ClientPool& h2_pool;  // The worker's HTTP/2 connections to servers.
  const bool& draining;  // The worker's drain flag, read when the response head goes out.
  // Response header changes the router's middlewares asked for (headers, CORS...) and the
  // sticky-session cookie.
  std::vector<middleware::HeaderOp>& response_ops;
  const middleware::ExchangePolicy& policy;  // Retry, limits, compression, error pages.
  const PageRequest& page;
  ExchangeReport& report;
  prometheus::Gauge* tunnels;  // Upgraded connections open on this entrypoint.
};

// One attempt's end: the client was answered (by the server or by a local reply), or the
// server failed in a way the retry decision (proxy/upstream_failure.hpp) judges.
struct AttemptResult {
  bool done = true;
  bool keep_alive = false;  // When done: the client connection may carry another request.
  UpstreamFailure failure;  // When not done.
};

// How one request reaches servers, as the pair of codecs on its two sides does it: the
// HTTP/1.1 relay (proxy/h1_relay) when both sides speak HTTP/1.1, the message relay
// (proxy/message_relay) for every other pairing. `forward` drives it through the servers.
class Relay {
 public:
  virtual ~Relay() = default;
  // One attempt at ctx.server; `may_retry_same` allows a pooled connection (the one retry
  // after a pooled connection turned out dead uses a fresh one).
  virtual awaitable<AttemptResult> attempt(bool may_retry_same) = 0;
  // The request goes to `next` from now on.
  virtual void retarget(const routing::CompiledServer& next) = 0;
  // The exchange ends with the data plane's reply for `reason` (or an errors middleware's
  // page); returns whether the client connection may carry another request.
  virtual awaitable<bool> give_up(server::LocalReason reason) = 0;
  virtual RetryFacts facts() const = 0;
};

// Sends the request to ctx.server through `relay`, and on a failure decides (decide_retry)
// whether it goes again, to the same server or another one of the service (smooth weighted
// round robin skipping the failed ones), or ends with a local reply. Returns whether the
// client connection may carry another request.
awaitable<bool> forward(ForwardContext& ctx, Relay& relay);

// Whether the local reply for `reason` is about a server that failed, which an errors
// middleware's page replaces (as in Traefik, whose proxy errors pass its middlewares too).
bool page_replaces(server::LocalReason reason);

// The data plane's reply for `reason` through `down` (the short text body local_reply.hpp
// makes, `detail` appended), or, for a failed server or a service without one, the page of an
// errors middleware that takes the status. The one way every local reply goes out, before and
// after a server was tried, for every protocol. Sets report.status and report.local. Returns
// whether the client connection may carry another request.
// A page carries `ops` (the middlewares' response changes), as the server's answer would.
awaitable<bool> answer_locally(Downstream& down, const middleware::ExchangePolicy& policy,
                               const PageRequest& page, UpstreamPool& pool,
                               const std::vector<middleware::HeaderOp>& ops, ExchangeReport& report,
                               server::LocalReason reason, bool keep_alive,
                               std::string_view detail = {});
inline awaitable<bool> answer_locally(ForwardContext& ctx, server::LocalReason reason,
                                      bool keep_alive, std::string_view detail = {}) {
  return answer_locally(ctx.down, ctx.policy, ctx.page, ctx.pool, ctx.response_ops, ctx.report,
                        reason, keep_alive, detail);
}

}  // namespace wharf::dataplane::proxy
