#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/local/stream_protocol.hpp>

#include "controller/net.hpp"
#include "controller/provider/stats.hpp"
#include "model/routing_table.hpp"

namespace wharf::controller {

// Sends whole routing tables to the data plane's control socket and waits for each reply.
// Only the latest table matters: tables published while one is in flight replace each other,
// and after a reconnect (data plane restarted) the latest is sent again. Versions come from
// the wall clock in milliseconds (never going backwards within a run), so a restarted
// controller's tables are still newer than the one the data plane saved.
class Publisher {
 public:
  Publisher(asio::any_io_executor ex, std::string socket_path, Stats& stats);

  void publish(model::RoutingTable table);
  // Called with each table the data plane acknowledged (ACME waits for its challenges).
  void on_applied(std::function<void(const model::RoutingTable&)> fn) {
    on_applied_ = std::move(fn);
  }
  // Runs until stop(): connect, send, wait for ack/nack, reconnect with backoff.
  awaitable<void> run();
  void stop();

 private:
  awaitable<bool> serve_connection(asio::local::stream_protocol::socket& sock);

  std::string path_;
  Stats& stats_;
  std::optional<model::RoutingTable> latest_;
  std::uint64_t last_version_ = 0;
  asio::steady_timer wake_;  // Cancelled to say "a newer table is waiting".
  bool stopping_ = false;
  std::function<void(const model::RoutingTable&)> on_applied_;
};

}  // namespace wharf::controller
