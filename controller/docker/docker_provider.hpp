#pragma once

#include <functional>

#include "controller/docker/engine_client.hpp"
#include "controller/docker/translator.hpp"
#include "controller/net.hpp"
#include "controller/provider/stats.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::docker {

// The Docker watcher: negotiates the API version, opens the event stream, then lists and
// inspects the containers whose labels ask for routing and hands the translated config to the
// sink. Every relevant event (container start/die/stop/kill/destroy/pause/unpause/
// health_status/rename, network connect/disconnect) marks the state dirty and triggers a full
// resync (level-triggered: no event is interpreted, so none can be misread). When the daemon
// goes away it reconnects with backoff and resyncs from scratch.
class DockerProvider {
 public:
  using Sink = std::function<void(model::ProviderConfig)>;

  DockerProvider(asio::any_io_executor ex, Endpoint endpoint, TranslatorOptions options,
                 Stats& stats, Sink sink);

  awaitable<void> run();
  // One negotiate + list + inspect + translate (used by --check and by every resync).
  awaitable<model::Result<model::ProviderConfig>> sync_once();

 private:
  awaitable<void> sync_loop();
  awaitable<model::Result<bool>> watch_events();
  void mark_dirty();

  EngineClient client_;
  TranslatorOptions options_;
  Stats& stats_;
  Sink sink_;
  bool dirty_ = false;
  asio::steady_timer wake_;
};

// Whether an event (one JSON object from /events) can change routing.
bool relevant_event(std::string_view json);

}  // namespace wharf::controller::docker
