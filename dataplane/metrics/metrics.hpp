#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/metrics/route_stats.hpp"

namespace wharf::dataplane::routing {
class CompiledTable;
}

namespace wharf::dataplane::metrics {

// Why the data plane answered a request itself (server::LocalReason, in its order), as the
// `reason` label of wharf_local_replies_total.
inline constexpr std::size_t kLocalReplies = 12;

// Every metric of the data plane, prefixed wharf_, with bounded labels only (entrypoint,
// router, service, method, code, reason; never a host, path or client address from a request).
// Requests are counted per worker without contention (WorkerStats); the rest are prometheus-cpp
// counters and gauges, touched per connection or per error, not per request. Pointers to them
// are resolved once here, so nothing on the request path looks a label set up.
class Metrics {
 public:
  Metrics(std::vector<std::string> entrypoints, std::vector<double> buckets, unsigned workers);

  WorkerStats& worker(unsigned i) { return *workers_[i]; }
  std::uint8_t entrypoint_index(std::string_view name) const;

  struct PerEntrypoint {
    prometheus::Gauge* connections;
    prometheus::Gauge* tunnels;
    prometheus::Counter* tls_handshakes;
    prometheus::Counter* tls_failures;
    prometheus::Counter* local[kLocalReplies];
    prometheus::Counter* proxy_refused;  // PROXY headers from untrusted or malformed.
  };
  PerEntrypoint& entrypoint(std::uint8_t i) { return entrypoints_[i]; }

  // A TCP route's counters: connections relayed (and open), bytes each way; a UDP route's:
  // sessions (and open ones), bytes each way. Looked up once per connection or session (under
  // prometheus-cpp's lock), so tables can add routes freely.
  struct StreamRoute {
    prometheus::Counter* connections;
    prometheus::Gauge* open;
    prometheus::Counter* bytes_in;   // From clients.
    prometheus::Counter* bytes_out;  // To clients.
  };
  StreamRoute tcp_route(const std::string& router, const std::string& service);
  StreamRoute udp_route(const std::string& router, const std::string& service);
  void udp_dropped(const std::string& entrypoint, const char* reason) {
    udp_dropped_->Add({{"entrypoint", entrypoint}, {"reason", reason}}).Increment();
  }

  // Rare events with a service label: created on first use (under prometheus-cpp's lock).
  void upstream_connect_error(const std::string& service);
  void upstream_timeout(const std::string& service);

  void table_applied(std::uint64_t version);
  void table_rejected();
  void access_log_dropped() { log_dropped_->Increment(); }
  // Idle upstream connections, kept by each worker's pool (read at scrape time).
  std::atomic<std::int64_t>& idle_upstream(unsigned worker) { return idle_[worker]; }

  // Requests answered per route (all entrypoints, methods and codes), in all and by the
  // client's protocol (proxy::Protocol's order), for the API.
  struct RouteRequests {
    std::uint64_t total = 0;
    std::array<std::uint64_t, proxy::kProtocols> by_protocol{};
  };
  std::map<std::uint32_t, RouteRequests> requests_by_route() const;

  // Prometheus text format 0.0.4 of everything, with server health read from `table`.
  std::string expose(const routing::CompiledTable* table) const;

 private:
  std::vector<std::string> entrypoint_names_;
  std::vector<double> buckets_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::unique_ptr<WorkerStats>> workers_;
  std::vector<PerEntrypoint> entrypoints_;
  std::unique_ptr<std::atomic<std::int64_t>[]> idle_;
  unsigned worker_count_;
  prometheus::Family<prometheus::Counter>* connect_errors_;
  prometheus::Family<prometheus::Counter>* timeouts_;
  prometheus::Family<prometheus::Counter>* tcp_connections_;
  prometheus::Family<prometheus::Gauge>* tcp_open_;
  prometheus::Family<prometheus::Counter>* tcp_bytes_;
  prometheus::Family<prometheus::Counter>* udp_sessions_;
  prometheus::Family<prometheus::Gauge>* udp_open_;
  prometheus::Family<prometheus::Counter>* udp_bytes_;
  prometheus::Family<prometheus::Counter>* udp_dropped_;
  prometheus::Gauge* table_version_;
  prometheus::Gauge* last_apply_;
  prometheus::Counter* applied_;
  prometheus::Counter* rejected_;
  prometheus::Counter* log_dropped_;
};

}  // namespace wharf::dataplane::metrics
