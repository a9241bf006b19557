#include "dataplane/app/healthcheck_command.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace wharf::dataplane {

int healthcheck(int argc, const char* const* argv, char** envp) {
  std::string address = ":8082";
  for (char** e = envp; e && *e; ++e) {
    std::string_view v = *e;
    if (v.starts_with("WHARF_ADMIN_ADDRESS=")) address = std::string(v.substr(20));
  }
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--admin-address") address = argv[i + 1];
  }
  auto colon = address.rfind(':');
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  std::string port = colon == std::string::npos ? address : address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    std::fprintf(stderr, "healthcheck: cannot resolve %s\n", address.c_str());
    return 1;
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM, 0);
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  bool connected = ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  freeaddrinfo(res);
  if (!connected) {
    std::fprintf(stderr, "healthcheck: %s: %s\n", address.c_str(), std::strerror(errno));
    ::close(fd);
    return 1;
  }
  const std::string req = "GET /readyz HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[512];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, n);
  ::close(fd);
  if (answer.starts_with("HTTP/1.1 200")) return 0;
  auto body = answer.find("\r\n\r\n");
  std::fprintf(stderr, "healthcheck: not ready: %s\n",
               body == std::string::npos ? "no answer" : answer.substr(body + 4).c_str());
  return 1;
}

}  // namespace wharf::dataplane
