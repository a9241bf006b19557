#include "dataplane/codec/http2/client_pool.hpp"
#include "dataplane/io/stream.hpp"

#include "dataplane/proxy/connect.hpp"

namespace wharf::dataplane::codec::http2 {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

// A connection being made: requests for the same server wait on it (every waiter of a timer
// wakes on cancel).
struct ClientPool::Pending {
  explicit Pending(const asio::any_io_executor& ex) : done(ex, Clock::time_point::max()) {}
  asio::steady_timer done;
};

ClientPool::ClientPool(const asio::any_io_executor& executor) : executor_(executor) {}

ClientPool::~ClientPool() = default;

std::size_t ClientPool::KeyHash::operator()(const Key& k) const {
  return proxy::UpstreamPool::KeyHash{}(k);
}

ClientPool::Key ClientPool::key_of(const routing::CompiledServer& server) {
  return {server.endpoint, server.tls ? server.tls->pool_id : 0};
}

awaitable<ClientPool::Acquired> ClientPool::acquire(const routing::CompiledServer& server,
                                                    std::chrono::milliseconds timeout,
                                                    bool may_reuse, proxy::UpstreamPool& h1_pool) {
  const Key key = key_of(server);
  for (int round = 0;; ++round) {
    if (may_reuse) {
      auto& list = connections_[key];
      // The busiest connection with room: streams pack onto few connections.
      std::shared_ptr<ClientConnection> best;
      for (const auto& c : list) {
        if (c->has_room() && (!best || c->open_streams() > best->open_streams())) best = c;
      }
      if (best) co_return Acquired{best, true, {}};
    }
    // One connection at a time is made per server; the others wait for it, then look again.
    auto pending = pending_.find(key);
    if (pending == pending_.end() || round > 0 || !may_reuse) break;
    auto wait_on = pending->second;
    co_await wait_on->done.async_wait(kNoThrow);
  }
  auto pending = std::make_shared<Pending>(executor_);
  pending_[key] = pending;
  auto conn = co_await proxy::connect(h1_pool, executor_, server, timeout, false,
                                      /*offer_h2=*/true);
  if (pending_[key] == pending) pending_.erase(key);
  pending->done.cancel();
  if (!conn.stream) co_return Acquired{nullptr, false, conn.ec};
  if (server.tls && !conn.h2) {
    // The server chose http/1.1 this time: ServerState now says so, and the exchange's retry
    // goes over HTTP/1.1. The connection is not wasted.
    h1_pool.give({server.endpoint, server.tls->pool_id}, std::move(conn.stream));
    co_return Acquired{nullptr, false, asio::error::no_protocol_option};
  }
  co_return Acquired{adopt(server, std::move(conn.stream)), false, {}};
}

std::shared_ptr<ClientConnection> ClientPool::adopt(const routing::CompiledServer& server,
                                                    std::unique_ptr<Stream> stream) {
  stream->expires_never();
  auto c = std::make_shared<ClientConnection>(std::move(stream), server.tls != nullptr);
  c->start();
  if (closed_) {
    c->shut_down();  // Serves the request it was made for, then goes.
  } else {
    connections_[key_of(server)].push_back(c);
  }
  return c;
}

void ClientPool::sweep() {
  const auto cutoff = Clock::now() - proxy::UpstreamPool::kMaxIdle;
  for (auto it = connections_.begin(); it != connections_.end();) {
    auto& list = it->second;
    std::erase_if(list, [&](const std::shared_ptr<ClientConnection>& c) {
      if (!c->usable()) {
        if (c->open_streams() == 0) c->shut_down();
        return true;  // Its streams keep it alive until they end.
      }
      if (c->open_streams() == 0 && c->idle_since() < cutoff) {
        c->shut_down();
        return true;
      }
      return false;
    });
    it = list.empty() ? connections_.erase(it) : std::next(it);
  }
}

void ClientPool::close() {
  closed_ = true;
  for (auto& [key, list] : connections_) {
    for (auto& c : list) c->shut_down();
  }
  connections_.clear();
}

}  // namespace wharf::dataplane::codec::http2
