#pragma once

#include <cstddef>
#include <memory>

namespace wharf::dataplane::proxy {

// Large enough that a 1 MiB response moves in four reads; only touched as far as a body needs.
inline constexpr std::size_t kRelayBufferSize = 256 * 1024;

// A connection's body buffer, taken on first use from a per-thread free list (each worker is
// one thread, so no locking) and returned when the connection ends. Small bodies that arrive
// with their head never need one, and a new connection does not pay for a fresh allocation.
class RelayBuffer {
 public:
  RelayBuffer() = default;
  ~RelayBuffer();
  RelayBuffer(const RelayBuffer&) = delete;
  RelayBuffer& operator=(const RelayBuffer&) = delete;

  char* get();
  static constexpr std::size_t size() { return kRelayBufferSize; }

 private:
  std::unique_ptr<char[]> buf_;
};

}  // namespace wharf::dataplane::proxy
