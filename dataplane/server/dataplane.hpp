#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "dataplane/app/options.hpp"
#include "dataplane/control/control_server.hpp"
#include "dataplane/control/state_store.hpp"
#include "dataplane/metrics/access_log.hpp"
#include "dataplane/metrics/metrics.hpp"
#include "dataplane/routing/health_checker.hpp"
#include "dataplane/server/worker.hpp"
#include "httpd/admin_server.hpp"

namespace wharf::dataplane::server {

struct BoundEntryPoint {
  std::string name;
  std::uint16_t port;
};

// The whole data plane process as a library: main() and the in-process tests both drive it.
class Dataplane {
 public:
  explicit Dataplane(Options options);
  ~Dataplane();

  // Binds every entrypoint and the control socket, loads the persisted table and starts the
  // worker threads. An error names what could not be done.
  model::Status start();
  const std::vector<BoundEntryPoint>& bound() const { return bound_; }
  std::uint16_t admin_port() const { return admin_port_; }
  metrics::AccessLog* access_log() { return access_log_.get(); }

  // Runs the control loop on the calling thread until a drain finishes. With
  // `handle_signals`, SIGTERM and SIGINT start the drain.
  void run(bool handle_signals);

  // Starts a graceful drain; safe from any thread. run() returns when it is over.
  void stop();

 private:
  // Builds a table against the ports this process listens on (entrypoint redirects need them).
  model::Result<std::shared_ptr<const routing::CompiledTable>> compile(
      model::RoutingTable table) const;
  void install(std::shared_ptr<const routing::CompiledTable> table, std::function<void()> done);
  void persist(const model::RoutingTable& table);
  void load_state();
  void begin_drain();
  awaitable<void> finish_drain();
  void wait_for_signals();
  httpd::AdminResponse admin(const httpd::AdminRequest& req);

  Options options_;
  asio::io_context control_io_{1};
  metrics::Metrics metrics_;
  std::unique_ptr<metrics::AccessLog> access_log_;
  // The table being served, as the control thread knows it (the admin API and readiness).
  std::shared_ptr<const routing::CompiledTable> current_;
  httpd::AdminServer admin_;
  std::uint16_t admin_port_ = 0;
  // Keeps run() alive until a drain has finished.
  asio::executor_work_guard<asio::io_context::executor_type> guard_{control_io_.get_executor()};
  std::optional<asio::signal_set> signals_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<BoundEntryPoint> bound_;
  control::StateStore state_;
  control::ControlServer control_;
  routing::HealthChecker health_{control_io_};
  bool draining_ = false;
};

}  // namespace wharf::dataplane::server
