#pragma once

#include <cstdint>

namespace wharf::test {

// What the kernel counted on a connected TCP socket's receiving side (TCP_INFO).
struct TcpReceived {
  std::uint32_t segments;  // Segments received (tcpi_segs_in), the handshake's included.
  std::uint32_t mss;       // The largest segment seen so far (tcpi_rcv_mss).
};
TcpReceived tcp_received(int fd);

}  // namespace wharf::test
