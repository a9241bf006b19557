#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dataplane/io/stream.hpp"

namespace wharf::dataplane::proxy {

// Idle keep-alive connections to upstream servers, owned by one worker (no locking). There is
// no cap below the worker's concurrency: every connection that finished a clean exchange goes
// back, so 256 busy clients settle on about 256 upstream connections instead of reconnecting.
class UpstreamPool {
 public:
  // `idle_count`, when given, is kept equal to the number of idle connections (metrics read it
  // from another thread).
  explicit UpstreamPool(std::atomic<std::int64_t>* idle_count = nullptr) : count_(idle_count) {}

  // Idle connections older than this are closed: upstreams commonly drop idle keep-alives after
  // 60-75 s, and a connection they already closed would fail the next request.
  static constexpr std::chrono::seconds kMaxIdle{55};
  static constexpr std::size_t kMaxIdlePerServer = 4096;
  static constexpr std::chrono::seconds kTrustedAge{1};

  // Connections are kept per endpoint and per TLS setting (`tls_id`: 0 for plain TCP, else the
  // servers transport's digest), so a request only reuses a connection it would have made.
  struct Key {
    tcp::endpoint endpoint;
    std::uint64_t tls_id = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };

  // A live idle connection for `key`, if any. A connection the server has closed (or that
  // holds unexpected bytes) is detected with a non-blocking peek and discarded.
  std::unique_ptr<Stream> take(const Key& key);
  // Streams (not bare sockets) are kept so reuse does not allocate a new stream state.
  void give(const Key& key, std::unique_ptr<Stream> stream);

  // Closes connections idle longer than kMaxIdle; a worker timer calls it periodically.
  void sweep();
  // Closes every idle connection, and from now on those given back too (draining): an idle
  // stream's deadline timer may still be armed, which would keep the worker's io_context
  // running.
  void close();

 private:
  struct Idle {
    std::unique_ptr<Stream> stream;
    std::chrono::steady_clock::time_point since;
  };
  void counted(std::int64_t delta) {
    if (count_) count_->fetch_add(delta, std::memory_order_relaxed);
  }
  std::unordered_map<Key, std::vector<Idle>, KeyHash> idle_;
  std::atomic<std::int64_t>* count_;
  bool closed_ = false;
};

}  // namespace wharf::dataplane::proxy
