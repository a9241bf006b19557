#pragma once

#include <memory>
#include <string>
#include <vector>

#include "test_common/child_process.hpp"
#include "test_common/dataplane_harness.hpp"

namespace wharf::test {

struct CommandResult {
  int status = -1;
  std::string out;  // stdout and stderr together
};
CommandResult run_command(const std::vector<std::string>& argv);

// A private Docker daemon for one test: its own data root, exec root and socket in a temporary
// directory, no iptables and no bridge (test traffic only ever goes to host-network containers
// on 127.0.0.1), cgroupfs driver. It never touches the machine's own dockerd. The image
// `wharf-test/busybox:1` is made with `docker import` of a busybox-static root filesystem, so
// no registry is needed; its `httpd` serves /www (index.html says "hello from <name>").
class Dockerd {
 public:
  static constexpr const char* kImage = "wharf-test/busybox:1";

  // Empty when a daemon can run here (root, dockerd, docker and a static busybox present).
  static std::string unavailable_reason();

  Dockerd();
  ~Dockerd();

  std::string endpoint() const { return "unix://" + socket_; }
  // Stops the daemon (its containers stop too) and starts it again on the same data root.
  void restart();
  // `docker ARGS...` against this daemon; fails the test on a non-zero exit.
  std::string docker(const std::vector<std::string>& args);
  // Starts a host-network busybox httpd on 127.0.0.1:port with the given labels; `extra` are
  // more `docker run` flags (e.g. --restart always).
  void run_httpd(const std::string& name, std::uint16_t port,
                 const std::vector<std::string>& labels,
                 const std::vector<std::string>& extra = {});
  std::string log() const { return daemon_ ? daemon_->log() : std::string(); }

 private:
  void start();
  void stop();

  TempDir dir_;
  std::string socket_;
  std::unique_ptr<ChildProcess> daemon_;
};

// A port nothing listens on right now (bound and released), for servers that need a fixed one:
// a container on the host network, or a program that takes its port on the command line. It is
// picked at random below the kernel's ephemeral range, where no listener on port 0 and no
// outgoing connection of another test can take it before the server binds it.
std::uint16_t free_port();

}  // namespace wharf::test
