#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace wharf::test {

// A TCP listener on 127.0.0.1 that fails the way real servers do, counting connections:
// kDrop reads the request head and closes without a byte of answer (a crashed worker);
// kSilent reads it and never answers (a hung one).
class MisbehavingServer {
 public:
  enum class Mode { kDrop, kSilent };
  explicit MisbehavingServer(Mode mode);
  ~MisbehavingServer();
  MisbehavingServer(const MisbehavingServer&) = delete;
  MisbehavingServer& operator=(const MisbehavingServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint64_t connections() const { return connections_.load(); }

 private:
  void run();

  Mode mode_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace wharf::test
