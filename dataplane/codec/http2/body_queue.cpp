#include "dataplane/codec/http2/body_queue.hpp"

#include <algorithm>
#include <cstring>

namespace wharf::dataplane::codec::http2 {
namespace {

// Taken bytes are dropped from the front once they are this many: the queue's memory follows
// what waits in it, without moving bytes at every take.
constexpr std::size_t kCompactAt = 64 * 1024;

}  // namespace

std::size_t BodyQueue::take(char* buf, std::size_t size) {
  const std::size_t n = std::min(size, this->size());
  std::memcpy(buf, bytes_.data() + taken_, n);
  taken_ += n;
  if (taken_ == bytes_.size()) {
    clear();
  } else if (taken_ >= kCompactAt) {
    bytes_.erase(0, taken_);
    taken_ = 0;
  }
  return n;
}

ssize_t BodyQueue::fill(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                        std::size_t length, std::uint32_t* flags, bool ended,
                        HeaderBlock& trailers) {
  const std::size_t n = take(reinterpret_cast<char*>(buf), length);
  if (empty() && ended) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (trailers.size() > 0) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      nghttp2_submit_trailer(session, stream_id, trailers.data(), trailers.size());
    }
  } else if (n == 0) {
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

}  // namespace wharf::dataplane::codec::http2
