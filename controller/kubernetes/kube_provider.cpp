#include "controller/kubernetes/kube_provider.hpp"

#include <chrono>

#include <boost/asio/post.hpp>

#include "log/log.hpp"

namespace wharf::controller::kubernetes {

using model::Error;
using model::Result;

KubeProvider::KubeProvider(asio::any_io_executor ex, ClusterConfig config, KubeOptions options,
                           Stats& stats, Sink sink)
    : ex_(ex),
      client_(ex, std::move(config)),
      options_(std::move(options)),
      stats_(stats),
      sink_(std::move(sink)) {
  // Namespaced kinds are watched in one namespace when asked; IngressClass is cluster-scoped.
  const std::string ns = options_.namespace_.empty() ? "" : "/namespaces/" + options_.namespace_;
  struct Kind {
    const char* kind;
    std::string path;
  };
  const Kind kinds[] = {
      {"IngressClass", "/apis/networking.k8s.io/v1/ingressclasses"},
      {"Ingress", "/apis/networking.k8s.io/v1" + ns + "/ingresses"},
      {"Service", "/api/v1" + ns + "/services"},
      {"EndpointSlice", "/apis/discovery.k8s.io/v1" + ns + "/endpointslices"},
  };
  for (const auto& k : kinds) {
    reflectors_.push_back(
        std::make_unique<Reflector>(client_, k.kind, k.path, [this] { changed(); }));
  }
}

void KubeProvider::changed() {
  stats_.add("provider_events_total", "kubernetes");
  for (const auto& r : reflectors_) {
    if (!r->synced()) return;  // Not every kind listed yet: a partial view would drop routes.
  }
  // Events arrive in bursts (a rollout touches many EndpointSlices); rebuild once per burst.
  if (rebuild_posted_) return;
  rebuild_posted_ = true;
  asio::post(ex_, [this] {
    rebuild_posted_ = false;
    sink_(build());
  });
}

model::ProviderConfig KubeProvider::build() const {
  auto started = std::chrono::steady_clock::now();
  Snapshot snap;
  for (const auto& r : reflectors_) {
    for (const auto& [key, json] : r->objects()) {
      if (auto ok = add_objects(json, snap); !ok)
        log::warn("kubernetes: " + key + ": " + ok.error());
    }
  }
  auto config = translate(snap, options_.ingress);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::debug("kubernetes: translated " + std::to_string(snap.ingresses.size()) + " Ingresses in " +
             std::to_string(took.count()) + " ms");
  return config;
}

awaitable<void> KubeProvider::run() {
  log::info("kubernetes: API server " + client_.config().server + " (" + client_.config().source +
            ")" + (options_.namespace_.empty() ? "" : ", namespace " + options_.namespace_));
  for (auto& r : reflectors_) asio::co_spawn(ex_, r->run(), asio::detached);
  co_return;
}

awaitable<Result<model::ProviderConfig>> KubeProvider::sync_once() {
  for (auto& r : reflectors_) {
    auto ok = co_await r->list();
    if (!ok) co_return Error{ok.error()};
  }
  co_return build();
}

}  // namespace wharf::controller::kubernetes
