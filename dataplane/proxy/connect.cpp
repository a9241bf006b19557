#include "dataplane/proxy/connect.hpp"
#include "dataplane/io/stream.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "model/ip.hpp"

namespace wharf::dataplane::proxy {
namespace {

UpstreamPool::Key key_of(const routing::CompiledServer& server) {
  return {server.endpoint, server.tls ? server.tls->pool_id : 0};
}

}  // namespace

awaitable<error_code> start_client_tls(Stream& stream, const routing::CompiledServer& server,
                                       std::chrono::milliseconds timeout,
                                       const tls::UpstreamTls* tls, bool offer_h2) {
  const auto& t = tls ? *tls : *server.tls;
  auto& session = stream.start_tls(*t.context);
  SSL* ssl = session.native_handle();
  if (t.offer_h2 && !offer_h2) tls::offer_http1_only(ssl);
  const std::string& name = t.server_name.empty() ? server.host : t.server_name;
  const bool is_address = model::IpAddress::parse(name).has_value();
  if (!is_address) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (t.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_address) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
  }
  stream.expires_after(timeout);
  auto [ec] = co_await session.async_handshake(asio::ssl::stream_base::client, kNoThrowAwaitable);
  co_return stream.outcome(ec);
}

std::unique_ptr<Stream> take_pooled(UpstreamPool& pool, const routing::CompiledServer& server) {
  return pool.take(key_of(server));
}

awaitable<Connection> connect(UpstreamPool& pool, const asio::any_io_executor& executor,
                              const routing::CompiledServer& server,
                              std::chrono::milliseconds timeout, bool reuse, bool offer_h2) {
  if (reuse) {
    if (auto idle = take_pooled(pool, server)) co_return Connection{std::move(idle), true, {}};
  }
  auto s = std::make_unique<Stream>(executor);
  s->expires_after(timeout);
  auto [ec] = co_await s->async_connect(server.endpoint, kNoThrow);
  if (ec) co_return Connection{nullptr, false, s->outcome(ec)};
  s->socket().set_option(tcp::no_delay(true), ec);
  if (server.tls) {
    // A named local, not `if (auto e = co_await ...)`: see HttpSession::run on GCC 12.
    const bool h2 = offer_h2 && server.may_offer_h2();
    error_code hec = co_await start_client_tls(*s, server, timeout, nullptr, h2);
    if (hec) co_return Connection{nullptr, false, hec};
    if (h2) {
      const bool chose = tls::chose_h2(s->tls()->native_handle());
      server.state->set_speaks_h2(chose);
      co_return Connection{std::move(s), false, {}, chose};
    }
  }
  co_return Connection{std::move(s), false, {}};
}

void give_back(UpstreamPool& pool, const routing::CompiledServer& server,
               std::unique_ptr<Stream> stream) {
  pool.give(key_of(server), std::move(stream));
}

}  // namespace wharf::dataplane::proxy
