#include "dataplane/proxy/relay_buffer.hpp"

#include <vector>

namespace wharf::dataplane::proxy {
namespace {

// Bounded so a burst of large transfers does not keep its memory forever.
constexpr std::size_t kMaxSpare = 64;
thread_local std::vector<std::unique_ptr<char[]>> t_spare;

}  // namespace

char* RelayBuffer::get() {
  if (!buf_) {
    if (t_spare.empty()) {
      buf_.reset(new char[kRelayBufferSize]);
    } else {
      buf_ = std::move(t_spare.back());
      t_spare.pop_back();
    }
  }
  return buf_.get();
}

RelayBuffer::~RelayBuffer() {
  if (buf_ && t_spare.size() < kMaxSpare) t_spare.push_back(std::move(buf_));
}

}  // namespace wharf::dataplane::proxy
