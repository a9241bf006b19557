#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "controller/net.hpp"
#include "model/result.hpp"

namespace wharf::controller::docker {

// Where the Docker Engine API listens: `unix:///var/run/docker.sock` or `tcp://host:port`.
struct Endpoint {
  bool is_unix = true;
  std::string path;  // unix
  std::string host;  // tcp
  std::string port;  // tcp
  std::string text;  // As given, for messages.
};
model::Result<Endpoint> parse_endpoint(std::string_view url);

// The API version to speak to a daemon announcing `server` in /_ping: its own, capped at the
// newest version this client requests; daemons older than 1.41 (Docker 20.10) are refused.
model::Result<std::string> negotiate_api_version(std::string_view server);

// A small Engine API client on Beast. It only ever sends GET requests: the controller reads
// Docker's state and never changes it. One connection per request keeps it simple and robust
// (dockerd restarts are just failed requests); the events stream holds its own connection.
class EngineClient {
 public:
  EngineClient(asio::any_io_executor ex, Endpoint endpoint);

  // GET /_ping, then negotiate_api_version() on its API-Version header.
  awaitable<model::Result<std::string>> negotiate();

  // GET `/v<version><target>`; the body of a 200 response, else an error with the status
  // and Docker's message.
  awaitable<model::Result<std::string>> get(std::string target);

  // GET /events with the given query, calling `on_event` with each JSON event. `on_open` runs
  // once the daemon has answered (so the caller can resync knowing no event is missed).
  // Returns when the stream ends: an error, or the daemon went away.
  awaitable<model::Status> events(std::string query, std::function<void()> on_open,
                                  std::function<void(std::string_view)> on_event);

  const std::string& api_version() const { return version_; }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  asio::any_io_executor ex_;
  Endpoint endpoint_;
  std::string version_ = "1.41";
};

}  // namespace wharf::controller::docker
