#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <set>

#include "dataplane/io/stream.hpp"
#include "dataplane/routing/compiled_table.hpp"

namespace wharf::dataplane::routing {

// Active health checks (services with `health_check`): one probe loop per server, on the
// control thread, so checks never take a worker's time. A probe is a fresh connection with
// one request; the answer sets the server's ServerState::healthy, which the load balancer
// reads. Transitions are logged once each.
class HealthChecker {
 public:
  explicit HealthChecker(asio::io_context& io) : io_(io) {}
  ~HealthChecker() { stop(); }

  // Replaces the probe loops with those of `table` (call on the control thread). Loops of the
  // previous table end at their next wake-up; the server states carry over by URL.
  void update(std::shared_ptr<const CompiledTable> table);
  // Ends every loop now: waits and probes in progress are cancelled (a drain does not wait).
  void stop();

  // The loops of one table; stop() cancels what they are waiting on.
  struct Generation {
    bool running = true;
    std::set<asio::steady_timer*> timers;
    std::set<Stream*> probes;
  };

 private:
  asio::io_context& io_;
  std::shared_ptr<Generation> current_;
};

}  // namespace wharf::dataplane::routing
