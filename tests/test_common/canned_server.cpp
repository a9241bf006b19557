#include "test_common/canned_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>
#include <vector>

namespace wharf::test {

CannedServer::CannedServer(std::string response, bool close_after, std::size_t piece,
                           std::size_t hold_at)
    : response_(std::move(response)), close_after_(close_after), piece_(piece), hold_at_(hold_at) {
  start([this] { run(); });
}

CannedServer::~CannedServer() {
  stop();
}

void CannedServer::run() {
  // One thread polls the listener and every open connection: the proxy may hold a pooled
  // connection open while it opens another.
  struct Conn {
    int fd;
    std::string got;
  };
  std::vector<Conn> conns;
  while (!stop_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const auto& c : conns) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) {
        ++connections_;
        conns.push_back({fd, {}});
      }
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      auto& c = conns[i - 1];
      char buf[4096];
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      bool open = n > 0;
      if (open) c.got.append(buf, static_cast<std::size_t>(n));
      for (auto end = c.got.find("\r\n\r\n"); open && end != std::string::npos;
           end = c.got.find("\r\n\r\n")) {
        c.got.erase(0, end + 4);
        answer(c.fd);
        open = !close_after_;
      }
      if (!open) {
        ::close(c.fd);
        c.fd = -1;
      }
    }
    std::erase_if(conns, [](const Conn& c) { return c.fd < 0; });
  }
  for (const auto& c : conns) ::close(c.fd);
}

void CannedServer::answer(int fd) {
  auto send = [fd](std::string_view bytes) {
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  };
  const std::string_view all(response_);
  const std::size_t until = hold_at_ ? hold_at_ : all.size();
  const std::size_t step = piece_ ? piece_ : all.size();
  for (std::size_t at = 0; at < until; at += step) {
    if (at > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    send(all.substr(at, std::min(step, until - at)));
  }
  if (hold_at_ == 0) return;
  while (!released_ && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  send(all.substr(hold_at_));
}

}  // namespace wharf::test
