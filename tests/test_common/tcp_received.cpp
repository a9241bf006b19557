// Kept apart from the other helpers: glibc's <netinet/tcp.h> has a shorter tcp_info without
// tcpi_segs_in, and the kernel's <linux/tcp.h> cannot be included beside it.
#include "test_common/tcp_received.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>

namespace wharf::test {

TcpReceived tcp_received(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    throw std::runtime_error("getsockopt(TCP_INFO) failed");
  }
  return {info.tcpi_segs_in, info.tcpi_rcv_mss};
}

}  // namespace wharf::test
