#include "dataplane/proxy/body_relay.hpp"

#include <algorithm>

namespace wharf::dataplane::proxy {

awaitable<RelayResult> relay_length(Stream& in, beast::flat_buffer& in_buffer, std::uint64_t left,
                                    std::chrono::milliseconds in_idle, Stream& out,
                                    std::string& head, std::chrono::milliseconds out_idle,
                                    RelayBuffer& relay) {
  if (!head.empty() && in_buffer.size() == 0) {
    out.expires_after(out_idle);
    if (auto ec = co_await write_body_part(out, head, nullptr, 0, false, false)) {
      co_return RelayResult{RelayStatus::kWriteFailed, ec};
    }
    head.clear();
  }
  while (left > 0) {
    const char* data = nullptr;
    std::size_t n = 0;
    const bool from_buffer = in_buffer.size() > 0;
    if (from_buffer) {
      // Bytes that arrived with the head are written from the parser's buffer directly: a
      // small response never needs the relay buffer.
      n = static_cast<std::size_t>(std::min<std::uint64_t>(left, in_buffer.size()));
      data = static_cast<const char*>(in_buffer.data().data());
    } else {
      char* buf = relay.get();
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, relay.size()));
      in.expires_after(in_idle);
      auto [ec, got] = co_await in.async_read_some(asio::buffer(buf, want), kNoThrow);
      if (ec) co_return RelayResult{RelayStatus::kReadFailed, ec};
      data = buf;
      n = got;
    }
    left -= n;
    out.expires_after(out_idle);
    auto ec = co_await write_body_part(out, head, data, n, false, left == 0);
    if (from_buffer) in_buffer.consume(n);
    if (ec) co_return RelayResult{RelayStatus::kWriteFailed, ec};
    head.clear();
  }
  co_return RelayResult{};
}

}  // namespace wharf::dataplane::proxy
