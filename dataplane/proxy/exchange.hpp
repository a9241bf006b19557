#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/io/net.hpp"
#include "dataplane/metrics/route_stats.hpp"
#include "dataplane/middleware/middleware.hpp"
#include "dataplane/proxy/downstream.hpp"
#include "dataplane/proxy/forward.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "model/ip.hpp"

namespace wharf::dataplane::server {
class Worker;
}

namespace wharf::dataplane::proxy {

// What every exchange on one client connection shares. Owned by the connection.
struct ConnectionFacts {
  std::string_view entrypoint;
  std::uint8_t ep_index = 0;  // The entrypoint in the metrics' labels.
  // The peers whose X-Forwarded-* this entrypoint believes (looked up once per connection).
  const std::vector<model::Cidr>* trusted = nullptr;
  model::IpAddress peer;
  std::string peer_text;  // `peer` formatted once: every request's forwarding headers use it.
  bool tls = false;
  std::string tls_options;  // The TLS options the handshake applied (their name), if any.
};

// A request head as a codec hands it to the exchange: HTTP/1.1's parsed head, or the fields an
// HTTP/2 stream's HEADERS carried (pseudo-header fields turned into method, target and Host).
struct IncomingRequest {
  http::request_header<>& head;  // Its fields move upstream with the request.
  std::string_view target;       // Origin-form: what goes upstream (path and query).
  std::string_view path, query;  // Split from `target`, query without '?'.
  std::string_view host;         // Host (or :authority) as received, port included.
  bool keep_alive = false;       // HTTP/1.1: the client may send another request after it.
};

// What a request amounts to once the exchange has run it: what metrics and the access log say.
struct ExchangeRecord {
  bool started = false;
  std::chrono::steady_clock::time_point start;
  metrics::Method method = metrics::Method::kGet;
  std::uint32_t route = 0;
  ExchangeReport report;
  bool logged = false;  // The strings below were filled (an access log is on).
  std::chrono::system_clock::time_point wall;
  std::string method_name, target, host, user_agent, referer, client, request_id;
  std::string router, service, upstream;
};

// The request path, once per request, for every protocol: a short run of named phases, each of
// which lets the request go on or answers it. An HTTP/1.1 connection reuses one for its
// requests one after another; each HTTP/2 stream has its own. The codec reads and checks the
// head (HTTP/1.1's framing, HTTP/2's pseudo-header fields) before handing it over, and the
// pair of codecs decides how bytes move (Downstream::relay). docs/life-of-a-request.md tells
// the phases in order.
class Exchange {
 public:
  Exchange(server::Worker& worker, const ConnectionFacts& connection);
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // A request head has arrived: the clock starts for metrics and the log.
  void begin(http::verb method);
  // The request is refused before routing (a codec's check): the reply, counted.
  awaitable<bool> refuse(Downstream& down, server::LocalReason reason, std::string_view detail);
  // Routes, filters and forwards the request; returns whether an HTTP/1.1 connection may carry
  // another request.
  awaitable<bool> run(IncomingRequest& in, Downstream& down);
  // Counts the request in metrics and writes its access-log line (when begin() was called).
  void finish(Protocol protocol);
  // Forgets the previous request (an HTTP/1.1 connection's next one).
  void reset();

  ExchangeRecord& record() { return record_; }

 private:
  // The phases, in the order run() takes them. Each returns nothing to go on, or the reply.
  struct Verdict {
    std::optional<server::LocalReason> local;
    std::optional<middleware::Reply> reply;
    explicit operator bool() const { return local || reply; }
  };
  Verdict acme_challenge(const IncomingRequest& in);
  Verdict route(const IncomingRequest& in, const rules::RequestView& view);
  awaitable<Verdict> apply_middlewares(IncomingRequest& in, const rules::RequestView& view);
  awaitable<Verdict> internal_service(const IncomingRequest& in);
  Verdict pick_server(const IncomingRequest& in);
  awaitable<bool> forward(IncomingRequest& in, Downstream& down);
  void record_outcome();

  awaitable<bool> answer(Downstream& down, const Verdict& v, bool keep_alive,
                         const IncomingRequest& in);
  void note_router(const routing::CompiledRouter& r);
  void capture_page_request(const IncomingRequest& in);

  server::Worker& worker_;
  const ConnectionFacts& connection_;
  // Held from the head's arrival to the end of the request, even across table swaps.
  std::shared_ptr<const routing::CompiledTable> table_;
  ExchangeRecord record_;
  ClientInfo client_;
  bool new_request_id_ = false;
  // Scratch strings reused across requests on a connection.
  std::string host_, path_;
  // The request as middlewares rewrite it, and what they leave for the response.
  std::string raw_path_, raw_query_, origin_target_;
  std::string_view target_;
  std::vector<middleware::HeaderOp> response_ops_;
  std::vector<std::shared_ptr<void>> holds_;
  middleware::ExchangePolicy policy_;
  PageRequest page_;
  const middleware::Middleware* ep_redirect_ = nullptr;  // The entrypoint's redirection.
  const routing::CompiledRouter* router_ = nullptr;
  const routing::CompiledServer* server_ = nullptr;
};

}  // namespace wharf::dataplane::proxy
