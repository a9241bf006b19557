#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "controller/compiler/compiler.hpp"
#include "controller/compiler/entrypoint_models.hpp"
#include "controller/net.hpp"
#include "controller/provider/stats.hpp"

namespace wharf::controller {

// Keeps the latest config of every provider and turns them into routing tables:
//  - nothing is published until every enabled provider has synced once (a partial table would
//    delete the routes of the provider that is late), unless `initial_sync_timeout` passes, in
//    which case the providers that did sync are published and the late one is logged;
//  - updates are throttled: the first change arms a timer, changes until it fires are folded
//    into one compile;
//  - a compiled table equal to the last published one is dropped.
// Each rejected object is logged once when it first appears (with its reason) and counted.
// A certificate routers ask an ACME resolver for (`tls.certresolver`): the hosts of a router's
// rule, in the order written.
struct CertificateRequest {
  std::string resolver;
  std::vector<std::string> domains;
  std::string router;  // The first router asking, for messages.
  bool operator==(const CertificateRequest&) const = default;
};

class Aggregator {
 public:
  using Sink = std::function<void(const model::RoutingTable&)>;
  using CertificateSink = std::function<void(std::vector<CertificateRequest>)>;

  Aggregator(asio::any_io_executor ex, std::vector<std::string> providers,
             std::chrono::milliseconds throttle, std::chrono::milliseconds initial_sync_timeout,
             Stats& stats, Sink sink);

  // Static entrypoint settings every table carries (redirections).
  void set_entrypoints(std::vector<model::EntryPoint> entrypoints) {
    entrypoints_ = std::move(entrypoints);
  }
  // The static configuration's entry points, applied to every provider's routers.
  void set_routing(compiler::StaticRouting routing) { routing_ = std::move(routing); }
  // Told, after every compile, which certificates the routers in the table want from ACME.
  void on_certificate_requests(CertificateSink sink) { certificate_sink_ = std::move(sink); }
  // Told, after every compile, what was rejected (Kubernetes turns it into Ingress Events).
  using DiagnosticsSink = std::function<void(const std::vector<model::Diagnostic>&)>;
  void on_diagnostics(DiagnosticsSink sink) { diagnostics_sink_ = std::move(sink); }
  // Arms the initial-sync timeout.
  void start();
  void update(const std::string& provider, model::ProviderConfig config);
  void stop();
  // Every enabled provider has synced once (or the initial-sync timeout passed): /readyz.
  bool synced() const { return waiting_.empty() || waited_long_enough_; }

 private:
  void schedule();
  void flush();
  void report(const model::RoutingTable& table);
  std::vector<CertificateRequest> certificate_requests(
      const model::RoutingTable& table, const compiler::ProviderConfigs& configs) const;

  std::chrono::milliseconds throttle_;
  std::chrono::milliseconds initial_sync_timeout_;
  Stats& stats_;
  Sink sink_;
  CertificateSink certificate_sink_;
  DiagnosticsSink diagnostics_sink_;
  compiler::ProviderConfigs latest_;
  std::vector<model::EntryPoint> entrypoints_;
  compiler::StaticRouting routing_;
  std::set<std::string> waiting_;  // Enabled providers that have not synced yet.
  bool waited_long_enough_ = false;
  asio::steady_timer throttle_timer_;
  asio::steady_timer sync_timer_;
  bool armed_ = false;
  std::optional<model::RoutingTable> last_;
  std::set<std::tuple<std::string, std::string, std::string>> reported_;
};

}  // namespace wharf::controller
