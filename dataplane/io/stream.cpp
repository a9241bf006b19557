#include "dataplane/io/stream.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <memory>

namespace wharf::dataplane {
namespace {

// nginx's lingering_timeout and lingering_time.
constexpr auto kLingerIdle = std::chrono::seconds(5);
constexpr auto kLingerTotal = std::chrono::seconds(30);
constexpr std::size_t kDiscardRead = 16 * 1024;

}  // namespace

// Closing a socket with unread input makes the kernel answer the peer's next bytes with a
// reset, and a client still sending a body then fails its send and often never reads the
// response it was given (curl: "Connection reset by peer" instead of the 413 or 404). So, with
// the write side already closed, what arrives is read and dropped until the peer closes, 5 s
// pass without a byte, or 30 s in all (RFC 9112 section 9.6). Raw TCP even under TLS: the
// session is over, the bytes are only drained.
awaitable<void> Stream::discard_input() {
  const auto until = std::chrono::steady_clock::now() + kLingerTotal;
  auto buf = std::make_unique<char[]>(kDiscardRead);
  for (;;) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    expires_after(std::min<std::chrono::steady_clock::duration>(kLingerIdle, left));
    auto [ec, n] =
        co_await socket().async_read_some(asio::buffer(buf.get(), kDiscardRead), kNoThrow);
    if (ec) break;  // The peer's FIN, a reset, or the deadline (which closed the socket).
  }
  expires_never();
}

std::size_t Stream::write_now(const asio::const_buffer* buffers, std::size_t count,
                              error_code& ec) {
  ec = {};
  // Room for write_body_part's most: head, chunk size, data, CRLF and the last chunk.
  std::array<iovec, 5> iov{};
  if (tls_ || count == 0 || count > iov.size()) return 0;
  for (std::size_t i = 0; i < count; ++i) {
    iov[i] = {const_cast<void*>(buffers[i].data()), buffers[i].size()};
  }
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = count;
  for (;;) {
    // MSG_NOSIGNAL: a peer that went away is an error here, never a SIGPIPE.
    const ssize_t n = ::sendmsg(tcp_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      ec = error_code(errno, boost::system::system_category());
    return 0;
  }
}

}  // namespace wharf::dataplane
