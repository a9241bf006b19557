#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::dataplane::proxy {

enum class Encoding { kNone, kGzip, kBrotli, kZstd };

// The content coding for a response (RFC 9110 section 12.5.3): the acceptable coding with the
// highest q-value among `offered` (Wharf's names: gzip, br, zstd), ties going to the earlier
// entry of `offered`; "*" stands for any coding the client did not name; q=0 refuses. No
// Accept-Encoding at all: `fallback` (compress.defaultEncoding) or none; an empty one: none.
Encoding negotiate(const std::string* accept_encoding, const std::vector<std::string>& offered,
                   std::string_view fallback);

// The Content-Encoding token.
std::string_view token(Encoding e);

// Streams a body through one compressor. Every call flushes what it was given, so a
// server-sent event or a progress bar still arrives when it is sent, not when a compression
// block fills; the cost is a few bytes per flush on bodies that arrive in many small reads.
class Encoder {
 public:
  virtual ~Encoder() = default;
  // Appends the compressed form of `n` bytes to `out` (cleared first); `finish` ends the
  // stream. False when the library failed (the response is then cut short).
  virtual bool write(const char* data, std::size_t n, bool finish, std::string& out) = 0;
};

std::unique_ptr<Encoder> make_encoder(Encoding e);

}  // namespace wharf::dataplane::proxy
