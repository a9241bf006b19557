#pragma once

#include <chrono>
#include <memory>

#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/routing/compiled_table.hpp"

namespace wharf::dataplane::proxy {

struct Connection {
  std::unique_ptr<Stream> stream;  // Null when the connection could not be made.
  bool reused = false;             // Taken from the pool rather than opened now.
  error_code ec;
  bool h2 = false;  // The TLS handshake chose h2: the connection speaks HTTP/2.
};

// A connection to `server`: an idle pooled one when `reuse` allows and there is one, else a
// new one made within `timeout`, TLS handshake included for an https:// server. Every
// connection the data plane makes to a server for a request goes through here (proxied
// requests, forward auth, error pages), so how servers are reached is decided in one place.
// With `offer_h2`, the TLS handshake to an https:// server whose transport allows HTTP/2 offers
// h2 in ALPN; what the server chose is noted in its state (ServerState::speaks_h2) and in the
// result. Otherwise it offers http/1.1 alone.
awaitable<Connection> connect(UpstreamPool& pool, const asio::any_io_executor& executor,
                              const routing::CompiledServer& server,
                              std::chrono::milliseconds timeout, bool reuse, bool offer_h2 = false);

// The idle pooled connection connect() would take, or null: a keep-alive request's usual
// case, without a coroutine (the exchange calls connect only when this has none).
std::unique_ptr<Stream> take_pooled(UpstreamPool& pool, const routing::CompiledServer& server);

// Starts TLS on a connected stream to an https:// server and runs the client handshake: SNI
// (for names, not addresses: RFC 6066 section 3) and, unless the transport skips it,
// verification of the certificate chain and of the name (the transport's serverName, else
// the server's host; an address is checked against the certificate's IP entries).
// `tls` overrides the server's own settings (a health check with scheme https).
awaitable<error_code> start_client_tls(Stream& stream, const routing::CompiledServer& server,
                                       std::chrono::milliseconds timeout,
                                       const tls::UpstreamTls* tls = nullptr,
                                       bool offer_h2 = false);

// Returns a connection that finished a clean exchange to the pool.
void give_back(UpstreamPool& pool, const routing::CompiledServer& server,
               std::unique_ptr<Stream> stream);

}  // namespace wharf::dataplane::proxy
