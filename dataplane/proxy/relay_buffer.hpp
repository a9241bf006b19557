#pragma once

#include <cstddef>

namespace wharf::dataplane::proxy {

// Large enough that a 1 MiB response moves in four reads; only touched as far as a body needs.
inline constexpr std::size_t kRelayBufferSize = 256 * 1024;

// The body buffer of one exchange, taken on first use from a per-thread list of spares (each
// worker is one thread, so no locking) and given back when the exchange ends, so a keep-alive
// connection that once moved a large body holds nothing while it waits for its next request.
// Small bodies that arrive with their head never need one.
//
// Spares that no exchange took between two of the worker's sweeps go back to the kernel
// (`trim_spares`): after a burst of downloads the memory is returned within two sweeps, while a
// steady load keeps reusing the same buffers without a system call.
class RelayBuffer {
 public:
  RelayBuffer() = default;
  ~RelayBuffer() { release(); }
  RelayBuffer(const RelayBuffer&) = delete;
  RelayBuffer& operator=(const RelayBuffer&) = delete;

  char* get();
  void release();
  static constexpr std::size_t size() { return kRelayBufferSize; }

  // Frees this thread's spares that stayed unused since the previous call.
  static void trim_spares();
  static std::size_t spare_count();  // This thread's.

 private:
  char* buf_ = nullptr;
};

}  // namespace wharf::dataplane::proxy
