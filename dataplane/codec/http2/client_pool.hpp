#pragma once

#include <chrono>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dataplane/codec/http2/client_connection.hpp"
#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/routing/compiled_table.hpp"

namespace wharf::dataplane::codec::http2 {

// The HTTP/2 connections of one worker to its servers, multiplexed: a request takes a stream
// on a connection with room under the server's SETTINGS_MAX_CONCURRENT_STREAMS, and a new
// connection is made only when none has room. Requests that arrive together while the first
// connection to a server is being made wait for it rather than each making its own. Owned by
// one worker (no locking), like the HTTP/1.1 pool.
class ClientPool {
 public:
  explicit ClientPool(const asio::any_io_executor& executor);
  ~ClientPool();

  struct Acquired {
    std::shared_ptr<ClientConnection> connection;  // Null on failure (`ec`).
    bool reused = false;                           // It was open before this request.
    error_code ec;
  };
  // A connection to `server` with room for one more stream: a pooled one (when `may_reuse`)
  // or a new one, made within `timeout` (TCP, then for https:// TLS offering h2; a server that
  // chooses http/1.1 there fails the request, retried over HTTP/1.1).
  awaitable<Acquired> acquire(const routing::CompiledServer& server,
                              std::chrono::milliseconds timeout, bool may_reuse,
                              proxy::UpstreamPool& h1_pool);
  // A TLS connection to `server` whose handshake chose h2, made by the HTTP/1.1 path.
  std::shared_ptr<ClientConnection> adopt(const routing::CompiledServer& server,
                                          std::unique_ptr<Stream> stream);

  // Drops closed connections, and closes those idle longer than UpstreamPool::kMaxIdle.
  void sweep();
  // Draining: every connection says GOAWAY once its streams are done; no new ones are made.
  void close();

 private:
  using Key = proxy::UpstreamPool::Key;
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  struct Pending;
  static Key key_of(const routing::CompiledServer& server);

  asio::any_io_executor executor_;
  std::unordered_map<Key, std::vector<std::shared_ptr<ClientConnection>>, KeyHash> connections_;
  std::unordered_map<Key, std::shared_ptr<Pending>, KeyHash> pending_;
  bool closed_ = false;
};

}  // namespace wharf::dataplane::codec::http2
