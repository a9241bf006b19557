#include "test_common/misbehaving_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace wharf::test {

MisbehavingServer::MisbehavingServer(Mode mode) : mode_(mode) {
  start([this] { run(); });
}

MisbehavingServer::~MisbehavingServer() {
  stop();
}

void MisbehavingServer::run() {
  std::vector<int> held;  // kSilent: connections kept open, unanswered, until the end.
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    // Read until the end of the request head, so the client's request was fully sent.
    std::string got;
    char buf[4096];
    while (got.find("\r\n\r\n") == std::string::npos) {
      pollfd r{fd, POLLIN, 0};
      if (::poll(&r, 1, 2000) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    if (mode_ == Mode::kDrop) {
      ::close(fd);
    } else {
      held.push_back(fd);
    }
  }
  for (int fd : held) ::close(fd);
}

}  // namespace wharf::test
