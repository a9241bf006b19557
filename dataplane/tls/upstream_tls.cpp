#include "dataplane/tls/upstream_tls.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <functional>

namespace wharf::dataplane::tls {
namespace {

namespace ssl = boost::asio::ssl;

std::uint64_t digest(const model::ServersTransport& t) {
  std::string all = t.name + '\n' + t.server_name + '\n' + (t.insecure_skip_verify ? "1" : "0") +
                    (t.disable_http2 ? "1" : "0");
  for (const auto& ca : t.root_cas) all += '\n' + ca;
  all += '\n' + t.cert_pem;
  // Never 0: that is the plain-TCP connections' id.
  return std::hash<std::string>{}(all) | 1;
}

// Adds every certificate of a PEM bundle to the context's trust store; how many were added.
int add_roots(ssl::context& ctx, const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.native_handle());
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++added;
    X509_free(cert);
  }
  return added;
}

}  // namespace

void set_alpn(SSL_CTX* ctx, bool h2) {
  static const unsigned char kBoth[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, h2 ? kBoth : kBoth + 3, h2 ? sizeof kBoth : sizeof kBoth - 3);
}

void offer_http1_only(SSL* ssl) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(ssl, kHttp11, sizeof kHttp11);
}

bool chose_h2(SSL* ssl) {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &proto, &len);
  return len == 2 && proto[0] == 'h' && proto[1] == '2';
}

model::Result<std::shared_ptr<const UpstreamTls>> make_upstream_tls(
    const model::ServersTransport& transport) {
  auto out = std::make_shared<UpstreamTls>();
  out->context = std::make_shared<ssl::context>(ssl::context::tls_client);
  auto& ctx = *out->context;
  SSL_CTX* c = ctx.native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  out->offer_h2 = !transport.disable_http2;
  set_alpn(c, out->offer_h2);
  out->verify = !transport.insecure_skip_verify;
  out->server_name = transport.server_name;
  out->pool_id = digest(transport);
  if (out->verify) {
    ctx.set_verify_mode(ssl::verify_peer);
    if (transport.root_cas.empty()) {
      if (SSL_CTX_set_default_verify_paths(c) != 1) {
        return model::Error{"servers transport '" + transport.name +
                            "': the system's trust store cannot be loaded"};
      }
    }
    for (std::size_t i = 0; i < transport.root_cas.size(); ++i) {
      if (add_roots(ctx, transport.root_cas[i]) == 0) {
        return model::Error{"servers transport '" + transport.name + "': root CA " +
                            std::to_string(i + 1) + " holds no PEM certificate"};
      }
    }
  } else {
    ctx.set_verify_mode(ssl::verify_none);
  }
  if (!transport.cert_pem.empty()) {
    boost::system::error_code ec;
    const auto& cert = transport.cert_pem;
    const auto& key = transport.key_pem;
    ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()), ec);
    if (!ec)
      ctx.use_private_key(boost::asio::buffer(key.data(), key.size()), ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(c) != 1) {
      return model::Error{"servers transport '" + transport.name +
                          "': the client certificate or its key does not load" +
                          (ec ? ": " + ec.message() : std::string())};
    }
  }
  return std::shared_ptr<const UpstreamTls>(std::move(out));
}

std::shared_ptr<const UpstreamTls> default_upstream_tls() {
  static const std::shared_ptr<const UpstreamTls> kDefault = [] {
    model::ServersTransport t;
    t.name = "default";
    auto made = make_upstream_tls(t);
    // Without a system trust store every verified handshake fails (and says so); the data
    // plane still serves plain HTTP.
    if (made) return *made;
    auto fallback = std::make_shared<UpstreamTls>();
    fallback->context = std::make_shared<ssl::context>(ssl::context::tls_client);
    fallback->context->set_verify_mode(ssl::verify_peer);
    fallback->pool_id = 1;
    return std::shared_ptr<const UpstreamTls>(fallback);
  }();
  return kDefault;
}

}  // namespace wharf::dataplane::tls
