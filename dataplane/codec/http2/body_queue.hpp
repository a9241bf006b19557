#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "dataplane/codec/http2/fields.hpp"

namespace wharf::dataplane::codec::http2 {

// The bytes of one body waiting between nghttp2 and an exchange, in order: a request body the
// server side has received and its exchange not yet taken, or a body an exchange has handed
// over and nghttp2 not yet sent (as the peer's window allows). Bounded by whoever fills it.
class BodyQueue {
 public:
  void append(const char* data, std::size_t n) { bytes_.append(data, n); }
  // Moves up to `size` bytes into `buf`; how many.
  std::size_t take(char* buf, std::size_t size);
  std::size_t size() const { return bytes_.size() - taken_; }
  bool empty() const { return size() == 0; }
  void clear() {
    bytes_.clear();
    taken_ = 0;
  }

  // nghttp2's data source callback for a body sent from this queue: up to `length` bytes into
  // `buf`; at the end (`ended` and nothing left) the last DATA frame, or, with `trailers`,
  // the trailer HEADERS submitted after it (RFC 9113 section 8.1); NGHTTP2_ERR_DEFERRED while
  // nothing is here yet.
  ssize_t fill(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
               std::size_t length, std::uint32_t* flags, bool ended, HeaderBlock& trailers);

 private:
  std::string bytes_;
  std::size_t taken_ = 0;
};

}  // namespace wharf::dataplane::codec::http2
