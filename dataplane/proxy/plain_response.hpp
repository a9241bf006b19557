#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wharf::dataplane::proxy {

// A response head of the shape nearly every upstream sends: HTTP/1.0 or 1.1, a final status
// that has a body (not 1xx, 204 or 304), one Content-Length, no Transfer-Encoding or
// Proxy-Connection, and a Connection field, if any, of just "keep-alive" or "close". Such a head is
// relayed from its received bytes: Beast's parser spent about 5,000 instructions on a five-field
// head (a quarter of a proxied request), mapping every name to its enum, an element and a tree node
// per field, the Connection value tokenized, and the head was then written out again field by
// field. Every other head, and anything here that is not well-formed, goes to Beast's parser,
// which finds the fault and says what it is.
struct PlainResponse {
  std::string_view status;  // The three digits as received.
  unsigned status_code = 0;
  std::string_view reason;
  std::uint64_t content_length = 0;
  bool keep_alive = false;  // The upstream's connection may carry another request.
  std::size_t size = 0;     // Bytes of the head, its final empty line included; 0: not parsed.
  // The field lines to pass on, hop-by-hop ones left out, as runs of whole lines (CRLF
  // included) in their order. A head needing more runs than this goes to Beast.
  static constexpr std::size_t kMaxRuns = 8;
  std::array<std::string_view, kMaxRuns> runs;
  std::size_t run_count = 0;
};

enum class PlainParse {
  kPlain,       // `out` holds the head, which ends at `out.size`.
  kNotPlain,    // Not of the shape, or not well-formed: for Beast's parser.
  kIncomplete,  // The head may be plain but has not all arrived.
};

// Parses the head at the start of `bytes` (everything buffered; a body may follow the head).
// Plain when the head has the shape above and follows RFC 9112's grammar: token characters in
// names, no whitespace before the colon, no obs-fold, no control character but HTAB in values
// or the reason, CRLF line ends. The views in `out` point into `bytes`.
PlainParse parse_plain_response(std::string_view bytes, PlainResponse& out);

}  // namespace wharf::dataplane::proxy
