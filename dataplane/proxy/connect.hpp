#pragma once

#include <chrono>
#include <memory>

#include "dataplane/net.hpp"
#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/routing/compiled_table.hpp"

namespace wharf::dataplane::proxy {

struct Connection {
  std::unique_ptr<Stream> stream;  // Null when the connection could not be made.
  bool reused = false;             // Taken from the pool rather than opened now.
  error_code ec;
};

// A connection to `server`: an idle pooled one when `reuse` allows and there is one, else a
// new one made within `timeout`. Every connection the data plane makes to a server goes
// through here (proxied requests, forward auth, error pages), so how servers are reached is
// decided in one place.
awaitable<Connection> connect(UpstreamPool& pool, const asio::any_io_executor& executor,
                              const routing::CompiledServer& server,
                              std::chrono::milliseconds timeout, bool reuse);

// Returns a connection that finished a clean exchange to the pool.
void give_back(UpstreamPool& pool, const routing::CompiledServer& server,
               std::unique_ptr<Stream> stream);

}  // namespace wharf::dataplane::proxy
