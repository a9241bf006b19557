#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/app/options.hpp"
#include "dataplane/server/dataplane.hpp"
#include "test_common/child_process.hpp"

namespace wharf::test {

// A fresh temporary directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The data plane library running in this process on 127.0.0.1:0, with its control socket in a
// temporary directory. Most tests use this: sanitizers see every line of it.
class InProcessDataplane {
 public:
  explicit InProcessDataplane(unsigned threads = 2, std::vector<std::string> extra_flags = {});
  ~InProcessDataplane();

  std::uint16_t port() const { return dp_->bound().front().port; }
  std::uint16_t port(const std::string& entrypoint) const {
    for (const auto& b : dp_->bound()) {
      if (b.name == entrypoint) return b.port;
    }
    return 0;
  }
  const std::string& control_socket() const { return socket_; }
  const std::string& state_dir() const { return state_; }
  std::uint16_t admin_port() const { return dp_->admin_port(); }
  dataplane::server::Dataplane& dataplane() { return *dp_; }
  std::string apply(const model::RoutingTable& table);
  // Starts a graceful drain and waits for it to finish.
  void stop();

 private:
  TempDir dir_;
  std::string socket_, state_;
  std::unique_ptr<dataplane::server::Dataplane> dp_;
  std::thread thread_;
};

// The real wharf-dataplane binary as a child process (signals, peak RSS, start-up behaviour).
class DataplaneProcess {
 public:
  // `control_socket` empty: one in the process's own temporary directory.
  explicit DataplaneProcess(std::vector<std::string> extra_flags = {},
                            const std::string& state_dir = {},
                            const std::string& control_socket = {});
  ~DataplaneProcess();

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  int pid() const { return child_->pid(); }
  const std::string& control_socket() const { return socket_; }
  std::string apply(const model::RoutingTable& table);
  // Sends SIGTERM and waits; returns the exit status (or -1 after `timeout_ms`).
  int terminate(int timeout_ms = 20'000);
  std::string log() const;

 private:
  TempDir dir_;
  std::string socket_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::unique_ptr<ChildProcess> child_;
};

}  // namespace wharf::test
