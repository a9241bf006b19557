#pragma once

// Drives the relay's parse step (detail::next_piece in dataplane/proxy/body_relay.hpp) over a
// chunked request body that arrives in pieces, as the socket would deliver it, without sockets:
// shared by the unit tests and the chunked_body fuzzer, which compare one delivery with another.
#include <algorithm>
#include <array>
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
  // Once done, the end the relay writes: the last chunk and the trailers it passes on, or ""
  // for a plain last chunk (dataplane::proxy::last_chunk).
  std::string ending;
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
  // The head leaves the parser, as the exchange moves it into the message it sends, so the
  // fields Beast files afterwards are the trailers.
  http::request<http::empty_body> sent;
  sent.base() = std::move(parser.get().base());
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
      fed.ending = dataplane::proxy::last_chunk(parser.get());
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

// What a next hop makes of an `ending` the relay wrote: the ending the relay would write for it
// in turn, or "error" when a parser refuses it. A relay passes on its own ending unchanged.
inline std::string reparsed_ending(const std::string& ending) {
  const std::string bytes = ending.empty() ? std::string("0\r\n\r\n") : ending;
  const std::array<std::size_t, 1> whole{bytes.size()};
  const Fed again = feed_chunked(bytes, whole, 16);
  return again.end == Fed::End::kDone ? again.ending : "error";
}

}  // namespace wharf::test
