#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "controller/docker/container.hpp"
#include "controller/docker/engine_client.hpp"
#include "controller/docker/translator.hpp"
#include "controller/net.hpp"
#include "controller/provider/stats.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::docker {

// The Docker watcher: negotiates the API version, opens the event stream, then lists and
// inspects the containers whose labels ask for routing and hands the translated config to the
// sink. Every relevant event (container create/start/restart/die/stop/kill/destroy/pause/
// unpause/health_status/rename/update, network connect/disconnect) triggers a resync: the list
// again, and an inspect of the container the event names (the others' inspect results are
// reused; nothing else about them can change without an event of their own). The config is
// always rebuilt whole from that state (level-triggered: events are never interpreted, so none
// can be misread). When the daemon goes away it reconnects with backoff and resyncs from
// scratch.
class DockerProvider {
 public:
  using Sink = std::function<void(model::ProviderConfig)>;

  DockerProvider(asio::any_io_executor ex, Endpoint endpoint, TranslatorOptions options,
                 Stats& stats, Sink sink);

  awaitable<void> run();
  // Negotiate, list, inspect every routed container, translate (--check, first sync).
  awaitable<model::Result<model::ProviderConfig>> sync_once();

 private:
  awaitable<model::Result<model::ProviderConfig>> resync();
  awaitable<void> sync_loop();
  awaitable<model::Status> watch_events();
  // Empty id: something changed that is not tied to one known container; inspect them all.
  void mark_dirty(const std::string& container_id);

  EngineClient client_;
  TranslatorOptions options_;
  Stats& stats_;
  Sink sink_;
  bool dirty_ = false;
  asio::steady_timer wake_;
  std::map<std::string, Container> cache_;  // Inspect results by container id.
  std::set<std::string> stale_;             // Ids whose inspect result must be refreshed.
  bool stale_all_ = true;
};

// For an event (one JSON object from /events) that can change routing, the id of the container
// it is about (empty when it names none); nothing for any other event.
std::optional<std::string> routing_event(std::string_view json);

}  // namespace wharf::controller::docker
