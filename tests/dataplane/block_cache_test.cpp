// The worker threads' cache of freed blocks behind operator new (dataplane/io/block_cache.hpp):
// blocks come back from it on the thread that turned it on, never beyond its byte budget,
// and any thread may free any block. Sanitizer builds keep the standard operator new, so the
// cases that look at reuse are skipped there.
#include <gtest/gtest.h>

#include <cstdint>
#include <new>
#include <thread>
#include <vector>

#include "dataplane/io/block_cache.hpp"

namespace wharf::dataplane {
namespace {

#if defined(WHARF_SANITIZE)
constexpr bool kReplaced = false;
#else
constexpr bool kReplaced = true;
#endif

// Explicit calls: a new-expression paired with its delete may be elided by the compiler.
void* get(std::size_t n) {
  return ::operator new(n);
}
void put(void* p) {
  ::operator delete(p);
}

// Runs `f` on a thread of its own with the cache on, released when `f` returns.
template <typename F>
void on_cached_thread(F f) {
  std::thread([&] {
    block_cache::enable_for_this_thread();
    f();
    block_cache::release_this_thread();
    EXPECT_EQ(block_cache::cached_bytes(), 0u);
  }).join();
}

TEST(BlockCache, AFreedBlockIsHandedOutAgainForItsSizeClass) {
  if (!kReplaced) GTEST_SKIP() << "sanitizer build: standard operator new";
  on_cached_thread([] {
    void* first = get(2272);  // A coroutine frame's size: above glibc's per-thread cache.
    const auto where = reinterpret_cast<std::uintptr_t>(first);
    put(first);
    EXPECT_EQ(block_cache::cached_bytes(), 2272u);
    void* a = get(2265);  // Same 16-byte class: the same block.
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a), where);
    EXPECT_EQ(block_cache::cached_bytes(), 0u);
    void* b = get(100);
    EXPECT_NE(b, a);
    put(b);
    put(a);
    EXPECT_EQ(block_cache::cached_bytes(), 2272u + 112u);
  });
}

TEST(BlockCache, BlocksAreAlignedForAnyFundamentalType) {
  on_cached_thread([] {
    std::vector<void*> blocks;
    for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 1000u, 4096u, 4097u, 100000u}) {
      blocks.push_back(get(n));
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(blocks.back()) % alignof(std::max_align_t), 0u)
          << n;
    }
    for (void* p : blocks) put(p);
  });
}

TEST(BlockCache, LargeBlocksAndBlocksBeyondTheBudgetGoBackToMalloc) {
  on_cached_thread([] {
    put(get(64 * 1024));
    EXPECT_EQ(block_cache::cached_bytes(), 0u);
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < 2 * block_cache::kMaxCachedBytes / 4096; ++i) {
      blocks.push_back(get(4096));
    }
    for (void* p : blocks) put(p);
    EXPECT_LE(block_cache::cached_bytes(), block_cache::kMaxCachedBytes);
    if (kReplaced) {
      EXPECT_EQ(block_cache::cached_bytes(), block_cache::kMaxCachedBytes);
    }
  });
}

TEST(BlockCache, ImpossibleSizesFailAsTheStandardSays) {
  if (!kReplaced) GTEST_SKIP() << "sanitizer build: ASan reports these instead";
  volatile std::size_t huge = SIZE_MAX;  // Not a constant: the compiler would warn.
  on_cached_thread([&] {
    EXPECT_THROW(get(huge), std::bad_alloc);
    EXPECT_EQ(::operator new(huge - 8, std::nothrow), nullptr);
    EXPECT_EQ(::operator new[](huge / 2, std::nothrow), nullptr);
  });
}

TEST(BlockCache, ThreadsWithoutTheCacheKeepNothingAndFreeAnyBlock) {
  void* from_worker = nullptr;
  on_cached_thread([&] { from_worker = get(700); });
  std::thread([&] {
    put(from_worker);  // Made on a cached thread, freed on one without the cache.
    put(get(700));
    EXPECT_EQ(block_cache::cached_bytes(), 0u);
  }).join();
  void* from_plain = get(300);
  on_cached_thread([&] {
    put(from_plain);  // And the other way: it joins this thread's cache, then malloc's.
    if (kReplaced) {
      EXPECT_EQ(block_cache::cached_bytes(), 304u);
    }
  });
}

}  // namespace
}  // namespace wharf::dataplane
