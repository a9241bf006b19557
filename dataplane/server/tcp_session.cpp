#include "dataplane/server/tcp_session.hpp"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/write.hpp>

#include "dataplane/proxy/relay_buffer.hpp"
#include "dataplane/server/fresh_socket.hpp"
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

struct Counts {
  std::uint64_t in = 0, out = 0;
};

// Writes all of `data` to plain `to` with send, waiting for room only when the socket is full;
// a TLS `to` writes through its stream. False on an error.
awaitable<bool> write_all(Stream& to, const char* data, std::size_t size) {
  if (to.is_tls()) {
    auto [ec, n] = co_await asio::async_write(to, asio::buffer(data, size), kNoThrow);
    co_return !ec;
  }
  while (size > 0) {
    const auto w = ::send(to.socket().native_handle(), data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w >= 0) {
      data += w;
      size -= static_cast<std::size_t>(w);
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) co_return false;
    to.expires_after(kIdle);
    auto [ec] = co_await to.socket().async_wait(tcp::socket::wait_write, kNoThrow);
    if (ec) co_return false;
  }
  co_return true;
}

// One direction: what `from` sends goes to `to` until `from` ends, then `to` is told (a
// half-close over TCP; over TLS, where a half-close would end the session, the other direction
// is stopped too). Any error ends both directions. `ended` counts the directions over: the
// second one to end needs no half-close, both sockets close right after.
//
// Reads wait in Asio with 16 KiB of the connection's own per direction (as nginx's and
// HAProxy's relays hold; 4 KiB, which the block cache would serve, moved bulk 5 % slower in an
// A/B: docs/performance.md): Asio reads at once when the socket may have bytes and otherwise
// queues the read without a system call, so a small exchange costs its recv and send. A read
// that fills it means more is coming: the rest is read with recv straight into the worker's
// relay buffer (256 KiB, as HTTP bodies use) until the socket is empty, and the relay buffer
// goes back before the next wait, so only moving bytes hold one. Writes are sends, waiting
// for room only when the socket is full. TLS is read through its stream into the same buffer.
awaitable<void> pump(Stream& from, Stream& to, std::uint64_t& counted, int& ended) {
  constexpr std::size_t kSmall = 16 * 1024;
  std::unique_ptr<char[]> small(new char[kSmall]);
  proxy::RelayBuffer relay;
  const int in = from.socket().native_handle();
  for (;;) {
    from.expires_after(kIdle);
    to.expires_after(kIdle);
    auto [ec, n] = co_await from.async_read_some(asio::buffer(small.get(), kSmall), kNoThrow);
    if (n > 0) {
      if (!co_await write_all(to, small.get(), n)) break;
      counted += n;
    }
    if (ec == asio::error::eof && !from.is_tls() && !to.is_tls()) {
      if (++ended == 2) co_return;
      error_code ignored;
      to.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    if (ec) break;
    if (n < kSmall || from.is_tls()) continue;
    bool done = false;
    for (;;) {  // A bulk transfer: straight into the relay buffer until the socket is empty.
      const auto got = ::recv(in, relay.get(), relay.size(), MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (got <= 0) {  // The end or an error: the next read in Asio says which.
        break;
      }
      if (!co_await write_all(to, relay.get(), static_cast<std::size_t>(got))) {
        done = true;
        break;
      }
      counted += static_cast<std::uint64_t>(got);
      if (static_cast<std::size_t>(got) < relay.size()) break;
    }
    relay.release();
    if (done) break;
  }
  // An error, or an end that cannot be passed on alone: both directions end.
  from.close();
  to.close();
}

// The other direction of a connection, run beside the first: `done` wakes the first when this
// one ends after it. Lighter than a parallel group, which allocates and wires cancellation a
// connection does not need (each direction ends the other by closing both sockets).
struct OtherDirection {
  explicit OtherDirection(const asio::any_io_executor& ex) : done(ex) {}
  asio::steady_timer done;
  bool finished = false;
};

awaitable<void> pump_other(Stream& from, Stream& to, std::uint64_t& counted, int& ended,
                           std::shared_ptr<OtherDirection> other) {
  co_await pump(from, to, counted, ended);
  other->finished = true;
  other->done.cancel();
}

// Connects to the next server in turn, trying each at most once.
awaitable<bool> connect(Worker& worker, Stream& server, const routing::CompiledStreamService& s,
                        const routing::CompiledStreamServer** chosen) {
  std::vector<const routing::CompiledStreamServer*> tried;
  while (const auto* candidate = s.pick(tried)) {
    tried.push_back(candidate);
    server.expires_after(s.connect_timeout);
    const auto ec = co_await connect_ready(server, candidate->endpoint);
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
  const auto started = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now();
  const auto& router = c.router;
  const auto& service = *router.service;
  const auto& route = worker.tcp_route(router.name, service.name);
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
    int ended = 0;
    auto other = std::make_shared<OtherDirection>(c.client.get_executor());
    other->done.expires_at(asio::steady_timer::time_point::max());
    asio::co_spawn(c.client.get_executor(), pump_other(server, c.client, counts.out, ended, other),
                   asio::detached);
    co_await pump(c.client, server, counts.in, ended);
    if (!other->finished) co_await other->done.async_wait(kNoThrow);
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
