#include "dataplane/server/worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>

#include "dataplane/proxy/relay_buffer.hpp"
#include "dataplane/server/connection.hpp"
#include "dataplane/server/fresh_socket.hpp"
#include "dataplane/server/http_session.hpp"
#include "dataplane/server/listen_socket.hpp"
#include "dataplane/server/udp_listener.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::server {
namespace {

// About this much of a response, at most, waits unsent in the kernel for a client
// (TCP_NOTSENT_LOWAT): a write that finds it queued waits until less than half is. The kernel
// alone queues up to the send buffer's autotuned size before a write waits (4 MiB with Debian's
// tcp_wmem): a client that reads slowly or not at all then pins 4 MiB of kernel memory, and
// the data plane drains the upstream that far ahead of it. With the limit, the rest waits
// in the upstream connection and the backend feels the client's pace, as behind HAProxy. Bytes
// in flight are not limited (the congestion window governs them), so neither is a distant
// client's rate. On bench/'s 1 MiB row, where the load generator shares a CPU with the backend,
// it halved the load generator's acknowledgements: docs/performance.md, "Large responses".
constexpr int kClientUnsentBytes = 128 * 1024;

}  // namespace

Worker::Worker(const Options& options, unsigned index, metrics::Metrics& metrics,
               metrics::AccessLog* access_log)
    : options_(options),
      metrics_(metrics),
      stats_(metrics.worker(index)),
      access_log_(access_log),
      pool_(&metrics.idle_upstream(index)) {}

Worker::~Worker() = default;

const metrics::Metrics::StreamRoute& Worker::tcp_route(const std::string& router,
                                                       const std::string& service) {
  std::string key = router;
  key += '\0';
  key += service;
  auto it = tcp_routes_.find(key);
  if (it == tcp_routes_.end()) {
    it = tcp_routes_.emplace(std::move(key), metrics_.tcp_route(router, service)).first;
  }
  return it->second;
}

void Worker::set_table(std::shared_ptr<const routing::CompiledTable> table) {
  if (table) stats_.prune(table->metrics_routes());
  table_ = std::move(table);
}

model::Status Worker::listen(const EntryPointAddress& address, std::uint16_t& port) {
  if (address.udp) {
    auto l = std::make_unique<UdpListener>(*this, address);
    if (auto ok = l->bind(port); !ok) return ok;
    udp_listeners_.push_back(std::move(l));
    return model::kOk;
  }
  auto l = std::make_unique<Listener>(Listener{address, tcp::acceptor(io_)});
  auto& a = l->acceptor;
  tcp::endpoint ep;
  if (auto ok = open_listening(a, address, port, ep, ""); !ok) return ok;
  error_code ec;
  auto fail = [&](const char* what) {
    return listen_error(address, what, ep.address(), ep.port(), "", ec);
  };
  a.set_option(asio::socket_base::reuse_address(true), ec);
  // Set on the listener, Linux copies both into every connection it accepts: two system calls
  // a connection fewer than setting them on each (see fresh_socket.hpp); proxy_test.cpp checks that
  // accepted connections have them. No delay: a response's last piece leaves at once instead
  // of waiting for the acknowledgement of the one before.
  a.set_option(tcp::no_delay(true), ec);
  ::setsockopt(a.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &kClientUnsentBytes,
               sizeof kClientUnsentBytes);
  a.bind(ep, ec);
  if (ec) return fail("cannot bind");
  a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  port = a.local_endpoint().port();
  listeners_.push_back(std::move(l));
  return model::kOk;
}

void Worker::start() {
  for (auto& l : listeners_) asio::co_spawn(io_, accept_loop(*l), asio::detached);
  for (auto& l : udp_listeners_) l->start();
  asio::co_spawn(io_, sweep_loop(), asio::detached);
}

awaitable<void> Worker::accept_loop(Listener& listener) {
  auto& acceptor = listener.acceptor;
  error_code ec;
  acceptor.non_blocking(true, ec);
  while (!draining_) {
    tcp::endpoint peer;
    tcp::socket socket = accept_ready(acceptor, peer, ec);
    if (ec == asio::error::would_block) {
      auto [wait_ec] = co_await acceptor.async_wait(tcp::acceptor::wait_read, kNoThrow);
      if (wait_ec == asio::error::operation_aborted) co_return;
      continue;
    }
    // A connection reset before it was taken, or (Linux passes them on) a network error of
    // one: the next one may be fine, as accept(2) advises.
    if (ec == asio::error::interrupted || ec == asio::error::connection_aborted ||
        ec == error_code(EPROTO, asio::error::get_system_category()))
      continue;
    if (ec) {
      // Out of file descriptors and the like: back off briefly instead of spinning.
      log::warn("accept on entrypoint " + listener.address.name + " failed: " + ec.message());
      asio::steady_timer t(io_, std::chrono::milliseconds(50));
      co_await t.async_wait(kNoThrow);
      continue;
    }
    asio::co_spawn(io_, serve_connection(*this, std::move(socket), peer, listener.address),
                   asio::detached);
    // Through the queue before the next accept, as Asio's own accept does: connections already
    // open get their turn between two new ones.
    co_await asio::post(io_, asio::deferred);
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
    h2_pool_.sweep();
    proxy::RelayBuffer::trim_spares();
  }
}

void Worker::begin_drain() {
  if (draining_) return;
  draining_ = true;
  error_code ignored;
  for (auto& l : listeners_) l->acceptor.close(ignored);
  for (auto& l : udp_listeners_) l->begin_drain();
  sweep_timer_.cancel();
  pool_.close();
  h2_pool_.close();
  // Copy: closing a session removes it from the set.
  std::vector<HttpSession*> sessions(sessions_.begin(), sessions_.end());
  for (auto* s : sessions) s->close_if_idle();
  for (auto* s : preambles_) s->cancel();
}

awaitable<httpd::AdminResponse> Worker::admin(httpd::AdminRequest req) {
  if (!admin_) co_return httpd::AdminResponse{503, "text/plain; charset=utf-8", "503\n", {}};
  // A coroutine function, not a capturing lambda: GCC 12 destroys a coroutine lambda's
  // init-captures twice.
  co_return co_await asio::co_spawn(admin_executor_, admin_on_control(std::move(req)),
                                    asio::use_awaitable);
}

awaitable<httpd::AdminResponse> Worker::admin_on_control(httpd::AdminRequest req) {
  co_return admin_(req);
}

}  // namespace wharf::dataplane::server
