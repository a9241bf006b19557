#include "dataplane/proxy/head_lines.hpp"

#include <cstring>

namespace wharf::dataplane::proxy {

std::size_t HeadEnd::scan(std::string_view bytes) {
  while (end_ == 0) {
    const void* lf = std::memchr(bytes.data() + scanned_, '\n', bytes.size() - scanned_);
    if (!lf) {
      scanned_ = bytes.size();
      break;
    }
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(lf) - bytes.data());
    const bool cr = at > 0 && bytes[at - 1] == '\r';
    if (!cr) ++bare_lf_;
    if (at - line_ == (cr ? 1u : 0u)) end_ = at + 1;  // An empty line ends the head.
    line_ = scanned_ = at + 1;
  }
  return end_;
}

void crlf_head(beast::flat_buffer& buffer, std::size_t size, std::size_t bare_lf) {
  const std::size_t total = buffer.size();
  buffer.prepare(bare_lf);  // May move the bytes: p is read after it.
  auto* p = static_cast<char*>(buffer.data().data());
  std::memmove(p + size + bare_lf, p + size, total - size);
  // From the back: every byte is written at or after where it was read, so none is overwritten
  // before it has been moved, and the byte before each LF is still the original when looked at.
  std::size_t to = size + bare_lf;
  for (std::size_t from = size; from-- > 0;) {
    p[--to] = p[from];
    if (p[from] == '\n' && (from == 0 || p[from - 1] != '\r')) p[--to] = '\r';
  }
  buffer.commit(bare_lf);
}

}  // namespace wharf::dataplane::proxy
