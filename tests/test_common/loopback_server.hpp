#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace wharf::test {

// What the hand-written test servers share: a listener on 127.0.0.1 with a port picked by the
// kernel, a count of accepted connections, and one thread running the server's loop until it
// is stopped. A derived class calls start() last in its constructor and stop() first in its
// destructor, so its loop never sees the members of a half-built or half-destroyed object.
class LoopbackServer {
 public:
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint64_t connections() const { return connections_.load(); }

 protected:
  LoopbackServer();
  ~LoopbackServer();
  void start(std::function<void()> loop) { thread_ = std::thread(std::move(loop)); }
  void stop();

  int listen_fd_ = -1;
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<bool> stop_{false};

 private:
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace wharf::test
