#pragma once

#include <chrono>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dataplane/net.hpp"

namespace wharf::dataplane::proxy {

// Idle keep-alive connections to upstream servers, owned by one worker (no locking). There is
// no cap below the worker's concurrency: every connection that finished a clean exchange goes
// back, so 256 busy clients settle on about 256 upstream connections instead of reconnecting.
class UpstreamPool {
 public:
  // Idle connections older than this are closed: upstreams commonly drop idle keep-alives after
  // 60-75 s, and a connection they already closed would fail the next request.
  static constexpr std::chrono::seconds kMaxIdle{55};
  static constexpr std::size_t kMaxIdlePerServer = 4096;
  static constexpr std::chrono::seconds kTrustedAge{1};

  // A live idle connection to `ep`, if any. A connection the server has closed (or that holds
  // unexpected bytes) is detected with a non-blocking peek and discarded.
  std::unique_ptr<Stream> take(const tcp::endpoint& ep);
  // Streams (not bare sockets) are kept so reuse does not allocate a new stream state.
  void give(const tcp::endpoint& ep, std::unique_ptr<Stream> stream);

  // Closes connections idle longer than kMaxIdle; a worker timer calls it periodically.
  void sweep();
  void clear() { idle_.clear(); }

 private:
  struct Idle {
    std::unique_ptr<Stream> stream;
    std::chrono::steady_clock::time_point since;
  };
  struct EndpointHash {
    std::size_t operator()(const tcp::endpoint& ep) const;
  };
  std::unordered_map<tcp::endpoint, std::vector<Idle>, EndpointHash> idle_;
};

}  // namespace wharf::dataplane::proxy
