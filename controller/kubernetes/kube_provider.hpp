#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "controller/kubernetes/api_client.hpp"
#include "controller/kubernetes/gateway/status_writer.hpp"
#include "controller/kubernetes/gateway/translator.hpp"
#include "controller/kubernetes/ingress_translator.hpp"
#include "controller/kubernetes/leader_election.hpp"
#include "controller/kubernetes/reflector.hpp"
#include "controller/kubernetes/status_writer.hpp"
#include "controller/net.hpp"
#include "controller/provider/stats.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes {

struct KubeOptions {
  IngressOptions ingress;
  gateway::Options gateway;  // The Gateway API, with --gateway-api.
  std::string namespace_;    // Empty: every namespace.
  StatusOptions status;
  ElectionOptions election;
};

// The Kubernetes watcher: one reflector per kind the translator reads (IngressClass, Ingress,
// Service, EndpointSlice, TLS Secrets, and the --publish-service Service; with --ingress-nginx
// also Opaque Secrets and ingress-nginx's ConfigMap; with --gateway-api the Gateway API kinds
// the cluster serves, found by discovery, and Namespaces). Once all have listed,
// every change rebuilds the snapshot from their stores and hands the translated config to the
// sink (level-triggered, like Docker); the aggregator throttles bursts such as a rollout's
// endpoint churn. Beside that, a leader elector, and the status writers (Ingress, Gateway
// API) that only the leader runs.
class KubeProvider {
 public:
  using Sink = std::function<void(model::ProviderConfig)>;

  KubeProvider(asio::any_io_executor ex, ClusterConfig config, KubeOptions options, Stats& stats,
               Sink sink);

  model::Status init() { return client_.init(); }
  awaitable<void> run();
  // On shutdown: hands the lease over (see LeaderElector::release).
  awaitable<void> stop();
  // Lists everything once and translates (--check).
  awaitable<model::Result<model::ProviderConfig>> sync_once();
  // The whole table was compiled (after every rebuild of any provider): hands the status
  // writer our Ingresses' problems, including references the translator cannot check alone
  // (a middleware or TLS options from the file provider that are missing or rejected).
  void compiled(const std::vector<model::Diagnostic>& diagnostics);

 private:
  void changed();
  // With --gateway-api: which Gateway API kinds the cluster serves (their CRDs installed), and
  // a reflector for each. Without the CRDs the Gateway API stays off, said once in the log.
  awaitable<void> discover_gateway_api();
  model::ProviderConfig build();
  void count_left_out(const model::ProviderConfig& config);

  asio::any_io_executor ex_;
  ApiClient client_;
  KubeOptions options_;
  Stats& stats_;
  Sink sink_;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
  std::unique_ptr<LeaderElector> elector_;  // Set by run(), not for --check.
  std::unique_ptr<StatusWriter> status_;
  std::unique_ptr<gateway::StatusWriter> gateway_status_;
  bool discovered_ = false;
  bool rebuild_posted_ = false;
  // The last translation's reports and addresses, waiting for compiled().
  std::vector<IngressReport> reports_;
  std::vector<LoadBalancerAddress> addresses_;
  std::map<std::string, std::size_t> router_owner_;  // "name@kubernetes" → index in reports_
  std::set<std::string> annotations_counted_;        // Labels of the not-applied gauge.
};

}  // namespace wharf::controller::kubernetes
