#include "test_common/misbehaving_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace wharf::test {

MisbehavingServer::MisbehavingServer(Mode mode) : mode_(mode) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

MisbehavingServer::~MisbehavingServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
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
