#pragma once

#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "dataplane/io/net.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "model/result.hpp"

namespace wharf::dataplane::control {

// Accepts controller connections on a unix socket and applies the tables they push. Building
// the match structures happens here, on the control thread, never on a worker.
class ControlServer {
 public:
  // Installs a compiled table on every worker and calls `done` (on the control thread) once
  // all of them serve it.
  using Install = std::function<void(std::shared_ptr<const routing::CompiledTable>,
                                     std::function<void()> done)>;

  // Validates and compiles a received table; an error is the nack's reason.
  using Compile = std::function<model::Result<std::shared_ptr<const routing::CompiledTable>>(
      model::RoutingTable)>;

  ControlServer(asio::io_context& io, std::string path, Compile compile, Install install,
                std::function<void(const model::RoutingTable&)> persist);

  // Creates the socket (removing a stale one) with mode 0660.
  model::Status listen();
  void start();
  void stop();

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  std::string path_;
  Compile compile_;
  Install install_;
  std::function<void(const model::RoutingTable&)> persist_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> acceptor_;
  std::set<asio::local::stream_protocol::socket*> connections_;  // Open controller connections.
};

}  // namespace wharf::dataplane::control
