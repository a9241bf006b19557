#include "ipc/frame.hpp"

namespace wharf::ipc {

std::string encode_frame(std::string_view payload) {
  auto n = static_cast<std::uint32_t>(payload.size());
  std::string out;
  out.reserve(4 + payload.size());
  out += static_cast<char>(n >> 24);
  out += static_cast<char>(n >> 16);
  out += static_cast<char>(n >> 8);
  out += static_cast<char>(n);
  out.append(payload);
  return out;
}

model::Result<std::optional<std::string>> FrameDecoder::next() {
  if (buf_.size() - pos_ < 4) return std::optional<std::string>{};
  auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(buf_[pos_ + i]));
  };
  std::uint32_t n = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
  if (n > max_size_) {
    return model::Error{"control frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                        std::to_string(max_size_)};
  }
  if (buf_.size() - pos_ - 4 < n) return std::optional<std::string>{};
  std::string payload = buf_.substr(pos_ + 4, n);
  pos_ += 4 + n;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 1 << 20) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return std::optional<std::string>{std::move(payload)};
}

}  // namespace wharf::ipc
