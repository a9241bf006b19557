#include "test_common/tcp_clients.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace wharf::test {

int connect_to(std::uint16_t port, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string read_until_close(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string tcp_exchange(std::uint16_t port, std::string_view bytes) {
  int fd = connect_to(port);
  if (fd < 0) return "<no connection>";
  send_all(fd, bytes);
  ::shutdown(fd, SHUT_WR);
  auto out = read_until_close(fd);
  ::close(fd);
  return out;
}

std::string client_hello(const std::string& sni) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_tlsext_host_name(ssl, sni.c_str());
  SSL_connect(ssl);  // Wants to read the ServerHello: the ClientHello is in `out`.
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<std::size_t>(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

Peer tcp_peer(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/python3", std::string(WHARF_PEERS_DIR) + "/tcp_peer.py"});
  Peer p{std::make_unique<ChildProcess>(args), 0};
  const auto at = p.process->wait_for_log("port ", std::chrono::seconds(20));
  EXPECT_NE(at, std::string::npos) << p.process->log();
  if (at != std::string::npos) {
    p.port = static_cast<std::uint16_t>(std::stoi(p.process->log().substr(at)));
  }
  return p;
}

}  // namespace wharf::test
