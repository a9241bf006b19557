#pragma once

// The bare-LF head scan and rewrite (dataplane/proxy/head_lines.hpp) checked on any bytes:
// shared by the unit tests and the response_head fuzz target.

#include <string>
#include <string_view>

#include "dataplane/proxy/head_lines.hpp"
#include "dataplane/proxy/response.hpp"

namespace wharf::test {

// `s` with each CRLF read as an LF: what a reader taking either line end sees.
inline std::string lf_lines(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

// What is wrong with the scan and rewrite of the head at the start of `bytes` when the bytes
// arrive as the first `split` and then the rest, or "" when nothing is. The end and the bare LFs
// found in pieces are those found at once; the rewritten head has the same lines, a CR before
// every LF, the bytes after it unchanged; and Beast's parser, given the rewritten bytes, ends
// or refuses the head rather than waiting for more (a wait would last until the timeout).
inline std::string check_head_lines(std::string_view bytes, std::size_t split) {
  using namespace wharf::dataplane;
  proxy::HeadEnd whole, pieces;
  const std::size_t end = whole.scan(bytes);
  const std::size_t early = pieces.scan(bytes.substr(0, split));
  if (early != 0 && early != end) return "the first piece ended the head elsewhere";
  if (pieces.scan(bytes) != end) return "the head ends elsewhere when it comes in two pieces";
  if (pieces.bare_lf() != whole.bare_lf()) return "bare LFs counted differently in pieces";
  if (end == 0) return {};

  const std::size_t bare = whole.bare_lf();
  beast::flat_buffer buffer;
  buffer.commit(asio::buffer_copy(buffer.prepare(bytes.size()), asio::buffer(bytes)));
  proxy::crlf_head(buffer, end, bare);
  const std::string_view out(static_cast<const char*>(buffer.data().data()), buffer.size());
  if (out.size() != bytes.size() + bare) return "rewritten size is off";
  const std::string_view head = out.substr(0, end + bare);
  if (out.substr(head.size()) != bytes.substr(end)) return "bytes after the head changed";
  if (lf_lines(head) != lf_lines(bytes.substr(0, end))) return "the head's lines changed";
  // The rescan ends where the head does, so its count covers the whole head.
  proxy::HeadEnd again;
  if (again.scan(out) != head.size()) return "rescan ends elsewhere";
  if (again.bare_lf() != 0) return "a bare LF is left";
  // Beast reads a status line's version and code as fixed-width pieces and waits for bytes to
  // fill them, past a line end too: a first line shorter than "HTTP/1.1 200" is garbage it
  // refuses once more bytes come, or at the timeout, with or without the rewrite.
  if (head.find("\r\n") < 12) return {};
  proxy::ResponseParser parser;
  parser.header_limit(proxy::kMaxResponseHead);
  parser.body_limit(boost::none);
  error_code ec;
  parser.put(asio::buffer(out.data(), out.size()), ec);
  if (ec == http::error::need_more) return "Beast waits for more after a whole head";
  return {};
}

}  // namespace wharf::test
