#pragma once

// Raw TCP clients for the TCP and UDP router tests, and tests/peers/tcp_peer.py as a child
// process.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "test_common/child_process.hpp"

namespace wharf::test {

// A connected, blocking socket to 127.0.0.1:port with a receive timeout; -1 when refused.
int connect_to(std::uint16_t port, int timeout_ms = 5'000);
void send_all(int fd, std::string_view bytes);
// Everything until the peer closes (or the receive timeout).
std::string read_until_close(int fd);
// Sends `bytes`, half-closes, and returns everything until the other side closes.
std::string tcp_exchange(std::uint16_t port, std::string_view bytes);
// What OpenSSL's client sends first for `sni`: a ClientHello, as bytes.
std::string client_hello(const std::string& sni);

// tests/peers/tcp_peer.py with `args`, and its port.
struct Peer {
  std::unique_ptr<ChildProcess> process;
  std::uint16_t port = 0;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};
Peer tcp_peer(std::vector<std::string> args = {});

}  // namespace wharf::test
