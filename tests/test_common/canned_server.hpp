#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace wharf::test {

// A TCP listener on 127.0.0.1 that answers every request head (requests without bodies) on
// every connection with the same bytes, as written: for response heads no real server library
// would produce. With `close_after`, it closes each connection after answering; with `piece`,
// it sends the answer in pieces of that many bytes, 2 ms apart. It counts the connections it
// accepted, so tests can tell whether the proxy reused one.
class CannedServer {
 public:
  explicit CannedServer(std::string response, bool close_after = false, std::size_t piece = 0);
  ~CannedServer();
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint64_t connections() const { return connections_.load(); }

 private:
  void run();

  std::string response_;
  bool close_after_;
  std::size_t piece_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace wharf::test
