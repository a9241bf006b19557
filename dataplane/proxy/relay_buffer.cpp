#include "dataplane/proxy/relay_buffer.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <vector>

namespace wharf::dataplane::proxy {
namespace {

#if defined(WHARF_SANITIZE)
// The sanitizers watch heap blocks, not mappings: their builds keep the buffers on the heap.
char* allocate_buffer() {
  return new char[kRelayBufferSize];
}
void free_buffer(char* p) {
  delete[] p;
}
#else
// Mapped directly so that a freed buffer goes back to the kernel at once: glibc would keep a
// freed 256 KiB block in its heap (its mmap threshold rises to the size of the first mapped
// block it frees), and the data plane's resident memory would stay at its highest.
char* allocate_buffer() {
  void* p =
      ::mmap(nullptr, kRelayBufferSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<char*>(p);
}
void free_buffer(char* p) {
  ::munmap(p, kRelayBufferSize);
}
#endif

// Bounded so a burst of large transfers cannot keep more than 16 MiB per thread even between
// sweeps.
constexpr std::size_t kMaxSpare = 64;

struct Spares {
  std::vector<char*> list;
  std::size_t low_water = 0;  // The fewest spares since the last trim: those were never needed.
  ~Spares() {
    for (char* p : list) free_buffer(p);
  }
};
thread_local Spares t_spares;

}  // namespace

char* RelayBuffer::get() {
  if (buf_) return buf_;
  auto& s = t_spares;
  if (s.list.empty()) {
    buf_ = allocate_buffer();
  } else {
    buf_ = s.list.back();
    s.list.pop_back();
    s.low_water = std::min(s.low_water, s.list.size());
  }
  return buf_;
}

void RelayBuffer::release() {
  if (!buf_) return;
  auto& s = t_spares;
  if (s.list.size() < kMaxSpare) {
    s.list.push_back(buf_);
  } else {
    free_buffer(buf_);
  }
  buf_ = nullptr;
}

void RelayBuffer::trim_spares() {
  auto& s = t_spares;
  // The oldest spares go; the ones given back last are taken first and are warmest in cache.
  const auto idle = static_cast<std::ptrdiff_t>(std::min(s.low_water, s.list.size()));
  std::for_each(s.list.begin(), s.list.begin() + idle, free_buffer);
  s.list.erase(s.list.begin(), s.list.begin() + idle);
  s.low_water = s.list.size();
}

std::size_t RelayBuffer::spare_count() {
  return t_spares.list.size();
}

}  // namespace wharf::dataplane::proxy
