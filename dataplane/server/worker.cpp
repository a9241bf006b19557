#include "dataplane/server/worker.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

#include "dataplane/proxy/relay_buffer.hpp"
#include "dataplane/server/http_session.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::server {

Worker::Worker(const Options& options, unsigned index, metrics::Metrics& metrics,
               metrics::AccessLog* access_log)
    : options_(options),
      metrics_(metrics),
      stats_(metrics.worker(index)),
      access_log_(access_log),
      pool_(&metrics.idle_upstream(index)) {}

void Worker::set_table(std::shared_ptr<const routing::CompiledTable> table) {
  if (table) stats_.prune(table->metrics_routes());
  table_ = std::move(table);
}

model::Result<bool> Worker::listen(const EntryPointAddress& address, std::uint16_t& port) {
  error_code ec;
  auto ip = address.host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                                 : asio::ip::make_address(address.host, ec);
  if (ec)
    return model::Error{"entrypoint " + address.name + ": bad address '" + address.host + "'"};
  tcp::endpoint ep(ip, port);
  auto l = std::make_unique<Listener>(Listener{address.name, tcp::acceptor(io_)});
  auto& a = l->acceptor;
  auto fail = [&](const char* what) {
    return model::Error{"entrypoint " + address.name + ": " + what + " " +
                        ep.address().to_string() + ":" + std::to_string(ep.port()) + ": " +
                        ec.message()};
  };
  a.open(ep.protocol(), ec);
  if (ec) return fail("cannot open");
  // ":80" means every address, IPv4 included.
  if (ep.address().is_v6()) a.set_option(asio::ip::v6_only(false), ec);
  a.set_option(asio::socket_base::reuse_address(true), ec);
  int one = 1;
  ::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  a.bind(ep, ec);
  if (ec) return fail("cannot bind");
  a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  port = a.local_endpoint().port();
  listeners_.push_back(std::move(l));
  return true;
}

void Worker::start() {
  for (auto& l : listeners_) asio::co_spawn(io_, accept_loop(*l), asio::detached);
  asio::co_spawn(io_, sweep_loop(), asio::detached);
}

awaitable<void> Worker::accept_loop(Listener& listener) {
  for (;;) {
    tcp::endpoint peer;
    auto [ec, socket] = co_await listener.acceptor.async_accept(peer, kNoThrow);
    if (draining_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off briefly instead of spinning.
      log::warn("accept on entrypoint " + listener.entrypoint + " failed: " + ec.message());
      asio::steady_timer t(io_, std::chrono::milliseconds(50));
      co_await t.async_wait(kNoThrow);
      continue;
    }
    asio::co_spawn(io_, serve_connection(*this, std::move(socket), peer, listener.entrypoint),
                   asio::detached);
  }
}

awaitable<void> Worker::sweep_loop() {
  while (!draining_) {
    // Each second, so that the body buffers of a burst of large transfers go back to the
    // kernel within two seconds of its end (those no exchange took since the previous sweep).
    sweep_timer_.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await sweep_timer_.async_wait(kNoThrow);
    if (ec) co_return;
    pool_.sweep();
    proxy::RelayBuffer::trim_spares();
  }
}

void Worker::begin_drain() {
  if (draining_) return;
  draining_ = true;
  error_code ignored;
  for (auto& l : listeners_) l->acceptor.close(ignored);
  sweep_timer_.cancel();
  pool_.close();
  // Copy: closing a session removes it from the set.
  std::vector<HttpSession*> sessions(sessions_.begin(), sessions_.end());
  for (auto* s : sessions) s->close_if_idle();
}

}  // namespace wharf::dataplane::server
