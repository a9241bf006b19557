#pragma once

#include <cstddef>

// A per-thread cache of freed memory blocks in front of malloc, for the worker threads.
//
// A proxied request allocates about 25 blocks and frees them before the next one: coroutine
// frames (Asio's own frame recycling keeps two blocks of at most 1,020 bytes, and the frames of
// a request range from 240 to over 2,000 bytes), Beast's header fields, strings. glibc serves
// blocks over 1,032 bytes outside its per-thread cache, through its bins and consolidation,
// which made malloc/free about 7 % of a worker's CPU. This file replaces the global operator
// new/delete: every block carries a 16-byte header naming its size class (16-byte steps up to
// 4 KiB), and a thread that turned its cache on keeps freed blocks on a free list per class, up
// to kMaxCachedBytes, and hands them out again without a call into malloc. Threads that did not
// (the control thread, the access log writer) allocate and free through malloc as before; a
// block may be freed on any thread. Sanitizer builds keep the standard operator new so the
// sanitizers see every allocation.
namespace wharf::dataplane::block_cache {

// Most bytes one thread keeps cached; beyond it, freed blocks go back to malloc.
inline constexpr std::size_t kMaxCachedBytes = 1 << 20;

// Turns the calling thread's cache on (a worker thread, before running its io_context).
void enable_for_this_thread();
// Frees the blocks the calling thread keeps and turns its cache off (when the worker ends).
void release_this_thread();
// The bytes the calling thread keeps cached now.
std::size_t cached_bytes();

}  // namespace wharf::dataplane::block_cache
