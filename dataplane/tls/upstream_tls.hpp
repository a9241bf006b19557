#pragma once

#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "model/result.hpp"
#include "model/routing_table.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace wharf::dataplane::tls {

// The client side of TLS to a service's https:// servers, built from its servers transport
// when a table compiles (certificates parsed off the request path) and shared by its servers.
// TLS 1.2 and 1.3, ALPN h2 and http/1.1 (http/1.1 alone with disableHTTP2), the server's
// certificate verified against the transport's root CAs (or the system's trust store) and the
// expected name, unless insecureSkipVerify.
struct UpstreamTls {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string server_name;  // The transport's serverName; empty: each server's own host.
  bool verify = true;
  bool offer_h2 = true;  // ALPN offers h2 first; the transport's disableHTTP2 turns it off.
  // Pooled connections are only reused by requests that would have made the same handshake:
  // the pool keys connections by endpoint and this id (a digest of the transport's settings).
  std::uint64_t pool_id = 0;
};

model::Result<std::shared_ptr<const UpstreamTls>> make_upstream_tls(
    const model::ServersTransport& transport);

// ALPN on a client context: h2 and http/1.1, or http/1.1 alone.
void set_alpn(SSL_CTX* ctx, bool h2);
// One connection offers only http/1.1 (an upgrade, a health check: they need HTTP/1.1).
void offer_http1_only(SSL* ssl);
// Whether the handshake chose h2.
bool chose_h2(SSL* ssl);

// The default transport: the system's trust store, each server's own host. Built once.
std::shared_ptr<const UpstreamTls> default_upstream_tls();

}  // namespace wharf::dataplane::tls
