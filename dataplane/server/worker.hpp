#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dataplane/app/options.hpp"
#include "dataplane/codec/http2/client_pool.hpp"
#include "dataplane/io/net.hpp"
#include "dataplane/metrics/access_log.hpp"
#include "dataplane/metrics/metrics.hpp"
#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "httpd/admin_server.hpp"

namespace wharf::dataplane::server {

class HttpSession;
class UdpListener;

struct Listener {
  const EntryPointAddress& address;
  tcp::acceptor acceptor;
};

// One event loop on one thread with its own acceptors (SO_REUSEPORT lets the kernel spread
// connections), its own upstream pool and its own pointer to the current table. Everything in
// a worker is touched only from its thread; other threads talk to it with asio::post.
class Worker {
 public:
  Worker(const Options& options, unsigned index, metrics::Metrics& metrics,
         metrics::AccessLog* access_log);
  ~Worker();

  asio::io_context& io() { return io_; }
  const Options& options() const { return options_; }
  metrics::Metrics& metrics() { return metrics_; }
  metrics::WorkerStats& stats() { return stats_; }
  metrics::AccessLog* access_log() { return access_log_; }

  // Binds one entrypoint's acceptor (a UDP socket for a UDP one); `port` 0 is replaced by the
  // port actually bound so the following workers share it.
  model::Status listen(const EntryPointAddress& address, std::uint16_t& port);
  void start();  // Spawns the accept loops and the pool sweeper.

  const std::shared_ptr<const routing::CompiledTable>& table() const { return table_; }
  // Also drops the request counters of routers the new table no longer has.
  void set_table(std::shared_ptr<const routing::CompiledTable> table);
  proxy::UpstreamPool& pool() { return pool_; }
  codec::http2::ClientPool& h2_pool() { return h2_pool_; }

  // Graceful stop: no new connections, idle keep-alive connections closed, in-flight requests
  // finish and then close. The io_context runs out of work when the last one is done.
  void begin_drain();
  const bool& draining() const { return draining_; }

  // Traefik's internal services (api@internal, ...) are answered by the data plane itself, on
  // the control thread, which owns what they read (the table as installed, the metrics); the
  // worker's request waits for the answer there and goes on on its own thread.
  using AdminHandler = std::function<httpd::AdminResponse(const httpd::AdminRequest&)>;
  void set_admin(asio::any_io_executor control, AdminHandler handler) {
    admin_executor_ = std::move(control);
    admin_ = std::move(handler);
  }
  awaitable<httpd::AdminResponse> admin(httpd::AdminRequest req);

  void add(HttpSession* s) { sessions_.insert(s); }
  void remove(HttpSession* s) { sessions_.erase(s); }
  // Connections relayed by TCP routers and UDP sessions: a drain lets them run to their end
  // (or the deadline).
  // The route's counters, looked up in the registry once per worker and route.
  const metrics::Metrics::StreamRoute& tcp_route(const std::string& router,
                                                 const std::string& service);
  // Connections still in their preamble (PROXY header, ClientHello: server/connection.cpp):
  // a drain closes them, as it closes HTTP connections waiting for a request.
  void add_preamble(Stream* s) { preambles_.insert(s); }
  void remove_preamble(Stream* s) { preambles_.erase(s); }
  void add_stream() { ++streams_; }
  void remove_stream() { --streams_; }
  std::size_t session_count() const { return sessions_.size() + streams_; }

 private:
  awaitable<void> accept_loop(Listener& listener);
  awaitable<httpd::AdminResponse> admin_on_control(httpd::AdminRequest req);
  awaitable<void> sweep_loop();

  const Options& options_;
  metrics::Metrics& metrics_;
  metrics::WorkerStats& stats_;
  metrics::AccessLog* access_log_;
  // Sockets and timers of a worker are only ever touched by its own thread, so the reactor
  // needs no locking; posting (table installs, drain) still goes through the locked queue.
  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<UdpListener>> udp_listeners_;
  std::shared_ptr<const routing::CompiledTable> table_;
  proxy::UpstreamPool pool_;  // Reports its idle count to metrics_.
  codec::http2::ClientPool h2_pool_{io_.get_executor()};
  std::unordered_set<HttpSession*> sessions_;
  std::size_t streams_ = 0;
  std::unordered_set<Stream*> preambles_;
  std::unordered_map<std::string, metrics::Metrics::StreamRoute> tcp_routes_;
  asio::steady_timer sweep_timer_{io_};
  asio::any_io_executor admin_executor_;
  AdminHandler admin_;
  bool draining_ = false;
};

}  // namespace wharf::dataplane::server
