#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wharf::test {

// A real program run by a test: stdin/stdout on /dev/null, stderr collected for assertions and
// failure messages. It is killed when the test process dies (PR_SET_PDEATHSIG), so an aborted
// test never leaves a server holding CTest's pipes open.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  bool running();
  std::string log() const;
  // Waits until stderr contains `text` (after `from`, a log() size seen earlier); returns the
  // offset just past it, or npos on timeout or exit.
  std::size_t wait_for_log(const std::string& text, std::chrono::milliseconds timeout,
                           std::size_t from = 0) const;
  // Sends `sig` (0: none, just wait for the exit) and waits; returns the exit status
  // (128+signal when killed), -1 on timeout.
  int stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  int pid_ = -1;
  int stderr_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string log_;
};

}  // namespace wharf::test
