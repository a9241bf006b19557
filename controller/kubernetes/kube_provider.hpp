#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controller/kubernetes/api_client.hpp"
#include "controller/kubernetes/ingress_translator.hpp"
#include "controller/kubernetes/reflector.hpp"
#include "controller/net.hpp"
#include "controller/provider/stats.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes {

struct KubeOptions {
  IngressOptions ingress;
  std::string namespace_;  // Empty: every namespace.
};

// The Kubernetes watcher: one reflector per kind the translator reads (IngressClass, Ingress,
// Service, EndpointSlice). Once all have listed, every change rebuilds the snapshot from their
// stores and hands the translated config to the sink (level-triggered, like Docker); the
// aggregator throttles bursts such as a rollout's endpoint churn.
class KubeProvider {
 public:
  using Sink = std::function<void(model::ProviderConfig)>;

  KubeProvider(asio::any_io_executor ex, ClusterConfig config, KubeOptions options, Stats& stats,
               Sink sink);

  model::Result<bool> init() { return client_.init(); }
  awaitable<void> run();
  // Lists everything once and translates (--check).
  awaitable<model::Result<model::ProviderConfig>> sync_once();

 private:
  void changed();
  model::ProviderConfig build() const;

  asio::any_io_executor ex_;
  ApiClient client_;
  KubeOptions options_;
  Stats& stats_;
  Sink sink_;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
  bool rebuild_posted_ = false;
};

}  // namespace wharf::controller::kubernetes
