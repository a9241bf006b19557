#pragma once

// Drives the relay's parse step (detail::next_piece in dataplane/proxy/body_relay.hpp) over a
// chunked request body that arrives in pieces, as the socket would deliver it, without sockets:
// shared by the unit tests and the chunked_body fuzzer, which compare one delivery with another.
#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/proxy/body_relay.hpp"

namespace wharf::test {

struct Fed {
  enum class End { kDone, kError, kStarved };  // Starved: all delivered, the body not done.
  End end = End::kStarved;
  std::string body;  // The body bytes the relay passed on.
  dataplane::error_code ec;
};

// Feeds `bytes` (what follows a chunked request head) in pieces of `pieces` sizes (cycled;
// zero counts as one), parsed into a body buffer of `buffer` bytes.
inline Fed feed_chunked(std::string_view bytes, std::span<const std::size_t> pieces,
                        std::size_t buffer) {
  namespace http = boost::beast::http;
  http::request_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  dataplane::proxy::check_chunk_extensions(parser);
  dataplane::error_code ec;
  const std::string_view head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  Fed fed;
  if (ec || !parser.is_header_done()) {
    fed.end = Fed::End::kError;
    fed.ec = ec;
    return fed;
  }
  boost::beast::flat_buffer in;
  std::vector<char> buf(buffer);
  std::size_t at = 0, turn = 0;
  for (;;) {
    const auto piece = dataplane::proxy::detail::next_piece(in, parser, buf.data(), buf.size());
    if (piece.ec) {
      fed.end = Fed::End::kError;
      fed.ec = piece.ec;
      return fed;
    }
    fed.body.append(buf.data(), piece.n);
    if (parser.is_done()) {
      fed.end = Fed::End::kDone;
      return fed;
    }
    if (!piece.read) continue;
    if (at == bytes.size()) return fed;  // Starved.
    std::size_t n = pieces.empty() ? bytes.size() : pieces[turn++ % pieces.size()];
    n = std::min(std::max<std::size_t>(n, 1), bytes.size() - at);
    auto room = in.prepare(n);
    std::memcpy(room.data(), bytes.data() + at, n);
    in.commit(n);
    at += n;
  }
}

}  // namespace wharf::test
