#include "dataplane/metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <chrono>
#include <sstream>

#include "dataplane/routing/compiled_table.hpp"
#include "dataplane/tls/server_context.hpp"

namespace wharf::dataplane::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr std::string_view kReasons[kLocalReplies] = {
    "no_route",          "no_server",          "upstream_connect",  "upstream_protocol",
    "upstream_timeout",  "bad_request",        "headers_too_large", "not_implemented",
    "request_too_large", "response_too_large", "misdirected",       "unresolved_backend"};

ClientMetric::Label label(std::string name, std::string value) {
  return {std::move(name), std::move(value)};
}

ClientMetric counter(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  return m;
}

ClientMetric gauge(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

}  // namespace

Metrics::Metrics(std::vector<std::string> entrypoints, std::vector<double> buckets,
                 unsigned workers)
    : entrypoint_names_(std::move(entrypoints)),
      buckets_(std::move(buckets)),
      registry_(std::make_shared<prometheus::Registry>()),
      idle_(new std::atomic<std::int64_t>[workers]()),
      worker_count_(workers) {
  for (unsigned i = 0; i < workers; ++i)
    workers_.push_back(std::make_unique<WorkerStats>(buckets_));
  auto& conns = BuildGauge()
                    .Name("wharf_open_connections")
                    .Help("Client connections open, per entrypoint.")
                    .Register(*registry_);
  auto& tunnels = BuildGauge()
                      .Name("wharf_open_tunnels")
                      .Help("Upgraded connections (websockets) open, per entrypoint.")
                      .Register(*registry_);
  auto& handshakes = BuildCounter()
                         .Name("wharf_tls_handshakes_total")
                         .Help("TLS handshakes completed, per entrypoint.")
                         .Register(*registry_);
  auto& tls_failures = BuildCounter()
                           .Name("wharf_tls_handshake_errors_total")
                           .Help("TLS handshakes that failed or timed out, per entrypoint.")
                           .Register(*registry_);
  auto& local = BuildCounter()
                    .Name("wharf_local_replies_total")
                    .Help("Requests the data plane answered itself, by entrypoint and reason.")
                    .Register(*registry_);
  auto& refused = BuildCounter()
                      .Name("wharf_proxy_protocol_refused_total")
                      .Help(
                          "Connections closed for a PROXY protocol header from a peer not "
                          "trusted to send one, or a malformed one, per entrypoint.")
                      .Register(*registry_);
  for (const auto& ep : entrypoint_names_) {
    PerEntrypoint p{};
    p.proxy_refused = &refused.Add({{"entrypoint", ep}});
    p.connections = &conns.Add({{"entrypoint", ep}});
    p.tunnels = &tunnels.Add({{"entrypoint", ep}});
    p.tls_handshakes = &handshakes.Add({{"entrypoint", ep}});
    p.tls_failures = &tls_failures.Add({{"entrypoint", ep}});
    for (std::size_t r = 0; r < kLocalReplies; ++r) {
      p.local[r] = &local.Add({{"entrypoint", ep}, {"reason", std::string(kReasons[r])}});
    }
    entrypoints_.push_back(p);
  }
  connect_errors_ = &BuildCounter()
                         .Name("wharf_upstream_connect_errors_total")
                         .Help(
                             "Connections to servers that failed (refused, reset, TLS), per "
                             "service.")
                         .Register(*registry_);
  timeouts_ = &BuildCounter()
                   .Name("wharf_upstream_timeouts_total")
                   .Help("Servers that did not connect or answer in time, per service.")
                   .Register(*registry_);
  tcp_connections_ = &BuildCounter()
                          .Name("wharf_tcp_connections_total")
                          .Help("Connections TCP routers relayed, per router and service.")
                          .Register(*registry_);
  tcp_open_ = &BuildGauge()
                   .Name("wharf_tcp_open_connections")
                   .Help("Connections TCP routers are relaying now, per router and service.")
                   .Register(*registry_);
  tcp_bytes_ = &BuildCounter()
                    .Name("wharf_tcp_bytes_total")
                    .Help(
                        "Bytes TCP routers relayed, per router, service and direction (in: "
                        "from clients, out: to clients).")
                    .Register(*registry_);
  udp_sessions_ = &BuildCounter()
                       .Name("wharf_udp_sessions_total")
                       .Help("UDP sessions (one per client address) per router and service.")
                       .Register(*registry_);
  udp_open_ = &BuildGauge()
                   .Name("wharf_udp_open_sessions")
                   .Help("UDP sessions open now, per router and service.")
                   .Register(*registry_);
  udp_bytes_ = &BuildCounter()
                    .Name("wharf_udp_bytes_total")
                    .Help(
                        "Bytes of datagrams UDP routers relayed, per router, service and "
                        "direction (in: from clients, out: to clients).")
                    .Register(*registry_);
  udp_dropped_ = &BuildCounter()
                      .Name("wharf_udp_dropped_datagrams_total")
                      .Help(
                          "Datagrams from clients not relayed, per entrypoint and reason "
                          "(no_route, no_server, sessions_full, draining, send).")
                      .Register(*registry_);
  table_version_ = &BuildGauge()
                        .Name("wharf_table_version")
                        .Help("Version of the routing table being served.")
                        .Register(*registry_)
                        .Add({});
  last_apply_ = &BuildGauge()
                     .Name("wharf_table_last_apply_timestamp_seconds")
                     .Help("When the routing table being served was applied (Unix time).")
                     .Register(*registry_)
                     .Add({});
  auto& applies = BuildCounter()
                      .Name("wharf_table_applies_total")
                      .Help("Routing tables received, by result.")
                      .Register(*registry_);
  applied_ = &applies.Add({{"result", "applied"}});
  rejected_ = &applies.Add({{"result", "rejected"}});
  log_dropped_ = &BuildCounter()
                      .Name("wharf_access_log_dropped_total")
                      .Help("Access log lines dropped because the writer fell behind.")
                      .Register(*registry_)
                      .Add({});
}

std::uint8_t Metrics::entrypoint_index(std::string_view name) const {
  for (std::size_t i = 0; i < entrypoint_names_.size(); ++i) {
    if (entrypoint_names_[i] == name) return static_cast<std::uint8_t>(i);
  }
  return 0;
}

void Metrics::upstream_connect_error(const std::string& service) {
  connect_errors_->Add({{"service", service}}).Increment();
}

namespace {

Metrics::StreamRoute stream_route(prometheus::Family<prometheus::Counter>& count,
                                  prometheus::Family<prometheus::Gauge>& open,
                                  prometheus::Family<prometheus::Counter>& bytes,
                                  const std::string& router, const std::string& service) {
  const std::map<std::string, std::string> labels{{"router", router}, {"service", service}};
  auto with = [&](const char* direction) {
    auto l = labels;
    l.emplace("direction", direction);
    return &bytes.Add(l);
  };
  return {&count.Add(labels), &open.Add(labels), with("in"), with("out")};
}

}  // namespace

Metrics::StreamRoute Metrics::tcp_route(const std::string& router, const std::string& service) {
  return stream_route(*tcp_connections_, *tcp_open_, *tcp_bytes_, router, service);
}

Metrics::StreamRoute Metrics::udp_route(const std::string& router, const std::string& service) {
  return stream_route(*udp_sessions_, *udp_open_, *udp_bytes_, router, service);
}

void Metrics::upstream_timeout(const std::string& service) {
  timeouts_->Add({{"service", service}}).Increment();
}

void Metrics::table_applied(std::uint64_t version) {
  applied_->Increment();
  table_version_->Set(static_cast<double>(version));
  last_apply_->Set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void Metrics::table_rejected() {
  rejected_->Increment();
}

std::map<std::uint32_t, Metrics::RouteRequests> Metrics::requests_by_route() const {
  RouteTotals totals;
  for (const auto& w : workers_) w->collect(totals);
  std::map<std::uint32_t, RouteRequests> out;
  for (const auto& [k, v] : totals.requests) {
    auto& r = out[std::get<1>(k)];
    r.total += v.count;
    r.by_protocol[static_cast<std::size_t>(std::get<4>(k))] += v.count;
  }
  return out;
}

std::string Metrics::expose(const routing::CompiledTable* table) const {
  auto families = registry_->Collect();

  RouteTotals totals;
  for (const auto& w : workers_) w->collect(totals);
  auto requests = family("wharf_requests_total",
                         "Requests answered, by entrypoint, router, service, method, status code "
                         "and the client's protocol (1.0, 1.1, 2).",
                         MetricType::Counter);
  auto duration =
      family("wharf_request_duration_seconds",
             "Time from a request's head to the end of its response.", MetricType::Histogram);
  auto bytes_in =
      family("wharf_request_bytes_total", "Request body bytes received.", MetricType::Counter);
  auto bytes_out =
      family("wharf_response_bytes_total", "Response body bytes relayed.", MetricType::Counter);
  auto labels_of = [&](std::uint8_t ep, std::uint32_t route, Method m) {
    auto [router, service] = route_names(route);
    return std::vector<ClientMetric::Label>{
        label("entrypoint", ep < entrypoint_names_.size() ? entrypoint_names_[ep] : ""),
        label("method", std::string(method_name(m))), label("router", router),
        label("service", service)};
  };
  for (const auto& [k, v] : totals.requests) {
    auto [ep, route, m, code, protocol] = k;
    auto l = labels_of(ep, route, m);
    l.insert(l.begin(), label("code", std::to_string(code)));
    l.push_back(label("protocol", std::string(proxy::protocol_label(protocol))));
    requests.metric.push_back(counter(std::move(l), static_cast<double>(v.count)));
  }
  for (const auto& [k, t] : totals.timing) {
    auto [ep, route, m] = k;
    ClientMetric h;
    h.label = labels_of(ep, route, m);
    h.histogram.sample_count = t.count;
    h.histogram.sample_sum = t.sum;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += t.buckets[i];
      h.histogram.bucket.push_back({cumulative, buckets_[i]});
    }
    h.histogram.bucket.push_back({t.count, std::numeric_limits<double>::infinity()});
    duration.metric.push_back(std::move(h));
    bytes_in.metric.push_back(counter(labels_of(ep, route, m), static_cast<double>(t.bytes_in)));
    bytes_out.metric.push_back(counter(labels_of(ep, route, m), static_cast<double>(t.bytes_out)));
  }
  for (auto* f : {&requests, &duration, &bytes_in, &bytes_out}) families.push_back(std::move(*f));

  std::int64_t idle = 0;
  for (unsigned i = 0; i < worker_count_; ++i) idle += idle_[i].load(std::memory_order_relaxed);
  auto pool =
      family("wharf_upstream_idle_connections",
             "Idle keep-alive connections to servers, all workers together.", MetricType::Gauge);
  pool.metric.push_back(gauge({}, static_cast<double>(idle)));
  families.push_back(std::move(pool));
  auto fallback = family("wharf_tls_default_certificate_total",
                         "TLS connections that got a default certificate (no certificate of the "
                         "table covered the name they asked for).",
                         MetricType::Counter);
  fallback.metric.push_back(counter({}, static_cast<double>(tls::default_certificate_served())));
  families.push_back(std::move(fallback));

  if (table) {
    auto up = family("wharf_service_server_up",
                     "1 when a server takes requests (health checks and passive health agree), "
                     "else 0.",
                     MetricType::Gauge);
    auto now = std::chrono::steady_clock::now();
    for (const auto& s : table->services()) {
      for (const auto& srv : s->servers) {
        up.metric.push_back(gauge({label("service", s->name), label("url", srv.url)},
                                  srv.state->available(now) ? 1 : 0));
      }
    }
    families.push_back(std::move(up));
    auto expiry =
        family("wharf_tls_certificate_not_after_seconds",
               "When each certificate of the table expires (Unix time).", MetricType::Gauge);
    for (const auto& [name, t] : table->certificates().expiries()) {
      expiry.metric.push_back(gauge({label("certificate", name)}, static_cast<double>(t)));
    }
    families.push_back(std::move(expiry));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace wharf::dataplane::metrics
