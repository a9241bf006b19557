#include "dataplane/server/tcp_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>

#include "dataplane/server/worker.hpp"
#include "dataplane/tcp/proxy_protocol.hpp"
#include "dataplane/tls/server_context.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::server {
namespace {

using ms = std::chrono::milliseconds;
using Tls = routing::CompiledTcpRouter::Tls;

// Without a byte either way for this long, a relayed connection is closed (the same bound as an
// upgraded HTTP connection's): an idle SSH session lives an hour.
constexpr ms kIdle{3'600'000};
constexpr std::size_t kBuffer = 16 * 1024;

struct Counts {
  std::uint64_t in = 0, out = 0;
};

// One direction: what `from` sends goes to `to` until `from` ends, then `to` is told (a
// half-close over TCP; over TLS, where a half-close would end the session, the other direction
// is stopped too). Any error ends both directions.
awaitable<void> pump(Stream& from, Stream& to, std::uint64_t& counted) {
  std::unique_ptr<char[]> buf(new char[kBuffer]);
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buf.get(), kBuffer), kNoThrow);
    if (n > 0) {
      from.expires_after(kIdle);
      to.expires_after(kIdle);
      auto [wec, written] = co_await asio::async_write(to, asio::buffer(buf.get(), n), kNoThrow);
      counted += written;
      if (wec) break;
    }
    if (!ec) continue;
    if (ec == asio::error::eof && !to.is_tls() && !from.is_tls()) {
      error_code ignored;
      to.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    break;
  }
  // An error, or an end that cannot be passed on alone: both directions end.
  from.close();
  to.close();
}

// Connects to the next server in turn, trying each at most once.
awaitable<bool> connect(Worker& worker, Stream& server, const routing::CompiledStreamService& s,
                        const routing::CompiledStreamServer** chosen) {
  std::vector<const routing::CompiledStreamServer*> tried;
  while (const auto* candidate = s.pick(tried)) {
    tried.push_back(candidate);
    server.expires_after(s.connect_timeout);
    auto [ec] = co_await server.async_connect(candidate->endpoint, kNoThrow);
    if (!ec) {
      *chosen = candidate;
      error_code ignored;
      server.socket().set_option(tcp::no_delay(true), ignored);
      co_return true;
    }
    server.timed_out() ? worker.metrics().upstream_timeout(s.name)
                       : worker.metrics().upstream_connect_error(s.name);
    log::debug("tcp service " + s.name + ": server " + candidate->address + ": " +
               (server.timed_out() ? std::string("connect timed out") : ec.message()));
    server.close();
  }
  co_return false;
}

}  // namespace

awaitable<void> serve_tcp(Worker& worker, TcpConnection c) {
  using namespace asio::experimental::awaitable_operators;
  const auto started = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now();
  const auto& router = c.router;
  const auto& service = *router.service;
  auto route = worker.metrics().tcp_route(router.name, service.name);
  route.connections->Increment();
  route.open->Increment();
  worker.add_stream();
  Counts counts;
  unsigned status = 0;
  const routing::CompiledStreamServer* chosen = nullptr;
  Stream server(c.client.get_executor());

  bool open = true;
  if (router.tls == Tls::kTerminate) {
    auto& tls = c.client.start_tls(tls::default_context());
    c.table->certificates().attach(tls.native_handle());
    tls::offer_http2(tls.native_handle(), false);
    c.client.expires_after(ms(c.table->entrypoint_timeouts(c.entrypoint).read_header_ms));
    auto [hec, used] = co_await tls.async_handshake(asio::ssl::stream_base::server, c.peeked.data(),
                                                    kNoThrowAwaitable);
    c.peeked.consume(c.peeked.size());
    auto& counters = worker.metrics().entrypoint(c.ep_index);
    (hec ? counters.tls_failures : counters.tls_handshakes)->Increment();
    open = !hec;
  }
  if (open && !co_await connect(worker, server, service, &chosen)) {
    status = 502;
    open = false;
  }
  if (open && service.proxy_protocol) {
    const std::string header = l4::proxy_header(static_cast<int>(service.proxy_protocol),
                                                c.client_address, c.local_address);
    auto [ec, n] = co_await asio::async_write(server, asio::buffer(header), kNoThrow);
    open = !ec;
  }
  if (open && c.peeked.size() > 0) {
    auto [ec, n] = co_await asio::async_write(server, c.peeked.data(), kNoThrow);
    counts.in += n;
    open = !ec;
  }
  c.peeked.consume(c.peeked.size());
  if (open) {
    c.client.expires_after(kIdle);
    server.expires_after(kIdle);
    co_await (pump(c.client, server, counts.in) && pump(server, c.client, counts.out));
  }
  co_await c.client.shutdown(ms(1000));
  server.close();

  route.bytes_in->Increment(static_cast<double>(counts.in));
  route.bytes_out->Increment(static_cast<double>(counts.out));
  route.open->Decrement();
  worker.remove_stream();
  if (auto* log = worker.access_log()) {
    metrics::AccessEntry e;
    e.time = wall;
    e.entrypoint = c.entrypoint;
    const std::string client = c.client_address.address().to_string();
    e.client = client;
    e.method = "TCP";
    e.host = c.server_name;
    e.target = c.server_name.empty() ? std::string_view("-") : c.server_name;
    e.protocol = router.tls == Tls::kNone ? "TCP" : "TCP+TLS";
    e.status = status;
    e.bytes_in = counts.in;
    e.bytes_out = counts.out;
    e.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    e.router = router.name;
    e.service = service.name;
    e.upstream = chosen ? std::string_view(chosen->address) : std::string_view();
    e.tls = router.tls != Tls::kNone;
    log->write(e);
  }
}

}  // namespace wharf::dataplane::server
