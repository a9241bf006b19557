#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/result.hpp"

namespace wharf::ipc {

// A control frame is a 4-byte big-endian payload length followed by that many bytes of JSON.
// The limit protects the data plane from a peer that announces a huge frame; 64 MiB holds a
// table of well over 100,000 routers.
inline constexpr std::uint32_t kMaxFrameSize = 64u << 20;

std::string encode_frame(std::string_view payload);

// Accumulates bytes from a stream and yields whole frames. Once it reports an error the stream
// is out of sync and the connection must be closed.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t max_size = kMaxFrameSize) : max_size_(max_size) {}

  // Appends bytes received from the peer.
  void feed(std::string_view bytes) { buf_.append(bytes); }

  // The next complete frame's payload, nothing when more bytes are needed, or an error.
  model::Result<std::optional<std::string>> next();

 private:
  std::uint32_t max_size_;
  std::string buf_;
  std::size_t pos_ = 0;  // Consumed prefix of buf_, compacted lazily.
};

}  // namespace wharf::ipc
