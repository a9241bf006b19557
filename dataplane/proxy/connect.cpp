#include "dataplane/proxy/connect.hpp"

namespace wharf::dataplane::proxy {

awaitable<Connection> connect(UpstreamPool& pool, const asio::any_io_executor& executor,
                              const routing::CompiledServer& server,
                              std::chrono::milliseconds timeout, bool reuse) {
  if (reuse) {
    if (auto idle = pool.take(server.endpoint)) co_return Connection{std::move(idle), true, {}};
  }
  auto s = std::make_unique<Stream>(executor);
  s->expires_after(timeout);
  auto [ec] = co_await s->async_connect(server.endpoint, kNoThrow);
  if (ec) co_return Connection{nullptr, false, ec};
  s->socket().set_option(tcp::no_delay(true), ec);
  co_return Connection{std::move(s), false, {}};
}

void give_back(UpstreamPool& pool, const routing::CompiledServer& server,
               std::unique_ptr<Stream> stream) {
  pool.give(server.endpoint, std::move(stream));
}

}  // namespace wharf::dataplane::proxy
