#include "dataplane/server/connection.hpp"

#include "dataplane/io/ip_address.hpp"
#include "dataplane/server/http_session.hpp"
#include "dataplane/server/tcp_session.hpp"
#include "dataplane/server/worker.hpp"
#include "dataplane/tcp/decision.hpp"
#include "dataplane/tcp/proxy_protocol.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::server {
namespace {

using ms = std::chrono::milliseconds;

std::string_view view(const beast::flat_buffer& b) {
  return {static_cast<const char*>(b.data().data()), b.size()};
}

// Reads what has arrived, keeping the buffer under `limit`; false when the connection ended,
// failed, timed out or would pass the limit.
awaitable<bool> read_more(Stream& s, beast::flat_buffer& b, std::size_t limit) {
  if (b.size() >= limit) co_return false;
  auto [ec, n] = co_await s.async_read_some(
      b.prepare(std::min<std::size_t>(16 * 1024, limit - b.size())), kNoThrow);
  if (ec) co_return false;
  b.commit(n);
  co_return true;
}

// The connection's preamble, then whichever serves it.
awaitable<void> route_connection(Worker& worker, tcp::socket socket, tcp::endpoint peer,
                                 const EntryPointAddress& ep,
                                 std::shared_ptr<const routing::CompiledTable> table) {
  if (worker.draining()) co_return;
  Stream stream(std::move(socket));
  beast::flat_buffer buf;
  // Until it is handed on, a drain cancels what the connection waits for.
  struct Preamble {
    Worker& worker;
    Stream* stream;
    ~Preamble() { worker.remove_preamble(stream); }
  } preamble{worker, &stream};
  worker.add_preamble(&stream);
  const auto timeouts = table ? table->entrypoint_timeouts(ep.name) : model::EntryPointTimeouts{};
  const auto ep_index = worker.metrics().entrypoint_index(ep.name);
  auto refuse = [&](const std::string& why) {
    worker.metrics().entrypoint(ep_index).proxy_refused->Increment();
    log::debug("entrypoint " + ep.name + ": connection from " + peer.address().to_string() +
               " closed: " + why);
  };
  tcp::endpoint client = peer;
  const bool trusted =
      ep.proxy_protocol && model::any_contains(*ep.proxy_protocol, ip_address_of(peer.address()));
  stream.expires_after(ms(timeouts.read_header_ms));
  if (trusted) {
    for (;;) {
      const auto h = l4::parse_proxy_header(view(buf));
      if (h.status == l4::ProxyHeader::Status::kIncomplete) {
        if (!co_await read_more(stream, buf, l4::kMaxProxyHeader)) co_return;
        continue;
      }
      if (h.status == l4::ProxyHeader::Status::kBad) {
        refuse(h.reason);
        co_return;
      }
      if (h.status == l4::ProxyHeader::Status::kOk) {
        buf.consume(h.size);
        if (h.has_addresses) client = h.source;
      }
      break;
    }
  }
  const auto client_ip = ip_address_of(client.address());
  const bool tcp_routes = table && l4::has_tcp_routes(*table, ep.name);
  const routing::CompiledTcpRouter* router = nullptr;
  if (tcp_routes && buf.size() == 0) {
    router = l4::decide_before_reading(*table, ep.name, client_ip);
  }
  std::string server_name;
  if (!router) {
    if (buf.size() == 0) {
      // The first byte may take the keep-alive idle time, as on any HTTP connection.
      stream.expires_after(ms(timeouts.idle_ms));
      if (!co_await read_more(stream, buf, l4::kMaxClientHello)) co_return;
      stream.expires_after(ms(timeouts.read_header_ms));
    }
    // A PROXY header from a peer not trusted to send one is refused, not read as data (it
    // could otherwise claim any client address to a server that trusts Wharf's headers).
    while (ep.proxy_protocol && !trusted) {
      const auto h = l4::parse_proxy_header(view(buf));
      if (h.status == l4::ProxyHeader::Status::kNone) break;
      if (h.status != l4::ProxyHeader::Status::kIncomplete) {
        refuse("a PROXY header from a peer not in proxyProtocol.trustedIPs");
        co_return;
      }
      if (!co_await read_more(stream, buf, l4::kMaxProxyHeader)) co_return;
    }
    if (tcp_routes) {
      auto hello = l4::parse_client_hello(view(buf));
      // Not `while (incomplete && co_await ...)`: GCC 12 evaluates a co_await on the right of
      // && even when the left is false.
      while (hello.status == l4::ClientHello::Status::kIncomplete) {
        if (!co_await read_more(stream, buf, l4::kMaxClientHello)) break;
        hello = l4::parse_client_hello(view(buf));
      }
      if (hello.status == l4::ClientHello::Status::kIncomplete) co_return;
      // A malformed ClientHello goes to HTTP, whose handshake refuses it (and counts it).
      if (hello.status != l4::ClientHello::Status::kBad) {
        router = l4::decide(*table, ep.name, client_ip, hello);
      }
      server_name = std::move(hello.server_name);
    }
  }
  stream.expires_never();
  worker.remove_preamble(&stream);
  if (router) {
    auto& connections = *worker.metrics().entrypoint(ep_index).connections;
    connections.Increment();
    tcp::endpoint local;
    if (router->service->proxy_protocol) {
      error_code ignored;
      local = stream.socket().local_endpoint(ignored);
    }
    // Named, not built in the call: GCC 12 mishandles temporaries in co_await's operand.
    TcpConnection c{stream, buf,     std::move(table), *router,    client,
                    local,  ep.name, ep_index,         server_name};
    co_await serve_tcp(worker, std::move(c));
    connections.Decrement();
    co_return;
  }
  HttpSession session(worker, std::move(stream.socket()), client, ep.name, std::move(buf));
  co_await session.run();
}

}  // namespace

awaitable<void> serve_connection(Worker& worker, tcp::socket socket, tcp::endpoint peer,
                                 const EntryPointAddress& entrypoint) {
  // A reference for the check (no reference count touched on the HTTP-only path); the
  // preamble takes its own copy.
  const auto& table = worker.table();
  if (!entrypoint.proxy_protocol && !(table && l4::has_tcp_routes(*table, entrypoint.name))) {
    HttpSession session(worker, std::move(socket), peer, entrypoint.name);
    co_await session.run();
    co_return;
  }
  co_await route_connection(worker, std::move(socket), peer, entrypoint, table);
}

}  // namespace wharf::dataplane::server
