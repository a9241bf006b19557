#include "dataplane/net.hpp"

#include <algorithm>
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

}  // namespace wharf::dataplane
