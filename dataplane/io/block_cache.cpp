#include "dataplane/io/block_cache.hpp"

#include <cstdint>
#include <cstdlib>
#include <new>

namespace wharf::dataplane::block_cache {
namespace {

constexpr std::size_t kClasses = 257;  // Class c holds blocks of c * kStep bytes; 0: uncached.
// Keeps what follows it aligned as operator new must (__STDCPP_DEFAULT_NEW_ALIGNMENT__).
constexpr std::size_t kHeader = 16;
static_assert(kHeader >= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

struct Header {
  std::uint32_t size_class;
};

struct FreeBlock {
  FreeBlock* next;
};

// Zero-initialised and trivially destructible: usable from the first allocation of a thread
// (before main, inside thread start-up) without an initialisation guard.
struct ThreadCache {
  bool on;
  std::size_t bytes;
  FreeBlock* free[kClasses];
};
constinit thread_local ThreadCache cache{};

Header* header_of(void* p) {
  return reinterpret_cast<Header*>(static_cast<char*>(p) - kHeader);
}

}  // namespace

#if !defined(WHARF_SANITIZE)
namespace {

constexpr std::size_t kStep = 16;  // Size classes are multiples of this.
constexpr std::size_t kLargest = (kClasses - 1) * kStep;

void* allocate(std::size_t n) noexcept {
  std::size_t size_class = 0;
  if (n <= kLargest) {
    size_class = n == 0 ? 1 : (n + kStep - 1) / kStep;
    if (FreeBlock* b = cache.free[size_class]) {  // Only a thread with its cache on has any.
      cache.free[size_class] = b->next;
      cache.bytes -= size_class * kStep;
      return b;
    }
    n = size_class * kStep;
  } else if (n > SIZE_MAX - kHeader) {
    return nullptr;
  }
  void* raw = std::malloc(kHeader + n);
  if (!raw) return nullptr;
  static_cast<Header*>(raw)->size_class = static_cast<std::uint32_t>(size_class);
  return static_cast<char*>(raw) + kHeader;
}

void release(void* p) noexcept {
  if (!p) return;
  Header* h = header_of(p);
  const std::size_t bytes = h->size_class * kStep;
  if (cache.on && h->size_class != 0 && cache.bytes + bytes <= kMaxCachedBytes) {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = cache.free[h->size_class];
    cache.free[h->size_class] = b;
    cache.bytes += bytes;
    return;
  }
  std::free(h);
}

}  // namespace
#endif

void enable_for_this_thread() {
  cache.on = true;
}

void release_this_thread() {
  cache.on = false;
  for (auto*& head : cache.free) {
    while (FreeBlock* b = head) {
      head = b->next;
      std::free(header_of(b));
    }
  }
  cache.bytes = 0;
}

std::size_t cached_bytes() {
  return cache.bytes;
}

}  // namespace wharf::dataplane::block_cache

#if !defined(WHARF_SANITIZE)

// The replaceable allocation functions ([new.delete]). The array, nothrow and sized forms the
// library derives from these by default are replaced too, so that each is one call; the
// over-aligned forms keep the library's (aligned_alloc and free), which never reach these.
namespace {

// Out of line, so the common path below stays a few instructions with no frame to set up.
[[gnu::noinline]] void* allocate_after_new_handler(std::size_t n) {
  for (;;) {
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
    if (void* p = wharf::dataplane::block_cache::allocate(n)) return p;
  }
}

inline void* allocate_or_throw(std::size_t n) {
  if (void* p = wharf::dataplane::block_cache::allocate(n)) [[likely]]
    return p;
  return allocate_after_new_handler(n);
}

void* allocate_or_null(std::size_t n) noexcept {
  try {
    return allocate_or_throw(n);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

void* operator new(std::size_t n) {
  return allocate_or_throw(n);
}
void* operator new[](std::size_t n) {
  return allocate_or_throw(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_or_null(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_or_null(n);
}
void operator delete(void* p) noexcept {
  wharf::dataplane::block_cache::release(p);
}
void operator delete[](void* p) noexcept {
  wharf::dataplane::block_cache::release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  wharf::dataplane::block_cache::release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  wharf::dataplane::block_cache::release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  wharf::dataplane::block_cache::release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  wharf::dataplane::block_cache::release(p);
}

#endif
