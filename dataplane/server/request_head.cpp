#include "dataplane/server/request_head.hpp"

namespace wharf::dataplane::server {

HeadResult find_request_head(std::string_view bytes, std::size_t& skip) {
  skip = 0;
  while (skip + 1 < bytes.size() && bytes[skip] == '\r' && bytes[skip + 1] == '\n') skip += 2;
  auto rest = bytes.substr(skip);
  auto end = rest.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (rest.size() > kMaxRequestHead) return {HeadStatus::kTooLarge, 0, {}};
    return {HeadStatus::kClosed, 0, {}};  // Incomplete; the caller reads more.
  }
  std::size_t size = end + 4;
  if (size > kMaxRequestHead) return {HeadStatus::kTooLarge, 0, {}};
  auto head = rest.substr(0, size);
  for (std::size_t i = head.find('\n'); i != std::string_view::npos && i + 1 < head.size();
       i = head.find('\n', i + 1)) {
    if (head[i + 1] == ' ' || head[i + 1] == '\t') {
      return {HeadStatus::kBad, 0, "header line folding (obs-fold) is not accepted"};
    }
  }
  return {HeadStatus::kOk, size, {}};
}

awaitable<HeadResult> read_request_head(Stream& stream, beast::flat_buffer& buffer,
                                        std::chrono::milliseconds idle,
                                        std::chrono::milliseconds header, bool& waiting) {
  bool started = false;
  for (;;) {
    std::size_t skip = 0;
    auto data = buffer.cdata();
    auto r = find_request_head({static_cast<const char*>(data.data()), data.size()}, skip);
    buffer.consume(skip);
    if (r.status != HeadStatus::kClosed) {
      waiting = false;
      co_return r;
    }
    if (buffer.size() > 0 && !started) {
      started = true;
      stream.expires_after(header);
    } else if (!started) {
      stream.expires_after(idle);
    }
    waiting = buffer.size() == 0;
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16 * 1024), kNoThrow);
    buffer.commit(n);
    waiting = false;
    if (ec == beast::error::timeout) co_return HeadResult{HeadStatus::kTimeout, 0, {}};
    if (ec) co_return HeadResult{HeadStatus::kClosed, 0, {}};
  }
}

}  // namespace wharf::dataplane::server
