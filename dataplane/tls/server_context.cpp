#include "dataplane/tls/server_context.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <memory>

#include "dataplane/tls/certificate_store.hpp"
#include "dataplane/tls/ticket_keys.hpp"
#include "dataplane/tls/tls_options.hpp"
#include "net/openssl_free.hpp"

namespace wharf::dataplane::tls {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites: ECDHE only (forward secrecy) with AEAD only (no CBC, no SHA-1 MACs), the
// list Mozilla's "intermediate" profile uses minus the finite-field DHE ones. TLS 1.3 suites
// are all AEAD and keep OpenSSL's default order.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::atomic<std::uint64_t> default_served{0};

// Where a connection on an entrypoint with HTTP/2 turned off says so (set before the handshake).
int http1_only_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len,
                const unsigned char* in, unsigned int in_len, void*) {
  // Ours in order of preference: the client's order does not matter (RFC 7301 section 3.2).
  static const unsigned char kBoth[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  const bool http1_only = SSL_get_ex_data(ssl, http1_only_index()) != nullptr;
  const unsigned char* ours = http1_only ? kBoth + 3 : kBoth;
  const unsigned ours_len = http1_only ? sizeof kBoth - 3 : sizeof kBoth;
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_len, ours, ours_len, in, in_len) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }
  // A client offering only protocols we lack (h2 alone where it is off) still gets HTTP/1.1
  // without ALPN.
  return SSL_TLSEXT_ERR_NOACK;
}

constexpr unsigned char kAcmeAlpn[] = {10, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1'};

int select_acme_alpn(SSL*, const unsigned char** out, unsigned char* out_len,
                     const unsigned char* in, unsigned int in_len, void*) {
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_len, kAcmeAlpn, sizeof kAcmeAlpn, in, in_len) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// Where a connection remembers that it got a TLS-ALPN-01 certificate, so the SNI callback
// that runs after this one leaves it alone.
int acme_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The server name a ClientHello asks for, lower-cased; empty without SNI.
std::string requested_name(SSL* ssl) {
  const unsigned char* sni = nullptr;
  std::size_t sni_len = 0;
  // server_name: list length (2), name type (1, host_name = 0), name length (2), name.
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &sni, &sni_len) || sni_len < 5 ||
      sni[2] != 0) {
    return {};
  }
  std::size_t n = (std::size_t{sni[3]} << 8) | sni[4];
  if (5 + n > sni_len) return {};
  std::string name(reinterpret_cast<const char*>(sni + 5), n);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

bool offers_acme_alpn(SSL* ssl) {
  const unsigned char* alpn = nullptr;
  std::size_t alpn_len = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &alpn,
                                 &alpn_len) ||
      alpn_len < 2) {
    return false;
  }
  for (std::size_t i = 2; i < alpn_len;) {  // 2-byte list length, then length-prefixed names.
    std::size_t n = alpn[i];
    if (i + 1 + n > alpn_len) break;
    if (std::string_view(reinterpret_cast<const char*>(alpn + i + 1), n) == "acme-tls/1") {
      return true;
    }
    i += 1 + n;
  }
  return false;
}

// Runs before SNI, ALPN and the protocol version are settled: the one moment both a TLS-ALPN-01
// validation certificate (RFC 8737 section 3) and per-name TLS options (versions, suites, client
// certificates) can still be chosen.
int on_client_hello(SSL* ssl, int* alert, void*) {
  const auto* store = CertificateStore::attached(ssl);
  if (!store || (!store->has_acme_challenges() && !store->has_options())) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  const std::string name = requested_name(ssl);
  if (store->has_acme_challenges() && !name.empty() && offers_acme_alpn(ssl)) {
    if (auto* ctx = store->acme_challenge(name)) {
      SSL_set_SSL_CTX(ssl, ctx->native_handle());
      SSL_set_ex_data(ssl, acme_index(), ctx);
      return SSL_CLIENT_HELLO_SUCCESS;
    }
  }
  if (const auto* options = store->options_for(name)) {
    // sniStrict: a client that names no certificate of the table is refused rather than
    // shown the default certificate.
    if (options->sni_strict() && (name.empty() || !store->select(name))) {
      *alert = SSL_AD_UNRECOGNIZED_NAME;
      return SSL_CLIENT_HELLO_ERROR;
    }
    options->apply(ssl);
    set_applied_options(ssl, options);
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

// SNI: switch the connection to the table's certificate for the name, if there is one.
int on_server_name(SSL* ssl, int*, void*) {
  if (SSL_get_ex_data(ssl, acme_index())) return SSL_TLSEXT_ERR_OK;
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const auto* store = CertificateStore::attached(ssl);
  ssl::context* chosen = nullptr;
  if (name && store) {
    std::string lower(name);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    chosen = store->select(lower);
  }
  // Called with and without SNI in the ClientHello: a client that names nothing also gets the
  // table's default certificate when there is one.
  if (!chosen) {
    default_served.fetch_add(1, std::memory_order_relaxed);
    if (store) chosen = store->fallback();
  }
  if (chosen) {
    SSL_set_SSL_CTX(ssl, chosen->native_handle());
    // Switching contexts replaces the connection's certificate settings, the client
    // certificate trust store among them: the options chosen for the name go on again.
    if (const auto* options = applied_options(ssl)) options->apply(ssl);
  }
  return SSL_TLSEXT_ERR_OK;
}

template <auto Free>
using Deleter = wharf::net::OpenSslFree<Free>;

// A fresh P-256 key and a self-signed certificate for it, valid one year from now.
void use_self_signed(ssl::context& ctx) {
  std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Deleter<X509_free>> cert(X509_new());
  if (!key || !cert) throw std::runtime_error("cannot generate the default TLS certificate");
  std::uint32_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(serial & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("WHARF DEFAULT CERT"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509_sign(cert.get(), key.get(), EVP_sha256());
  SSL_CTX_use_certificate(ctx.native_handle(), cert.get());
  SSL_CTX_use_PrivateKey(ctx.native_handle(), key.get());
}

}  // namespace

void apply_server_policy(ssl::context& ctx) {
  SSL_CTX* c = ctx.native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                             SSL_OP_NO_RENEGOTIATION | SSL_OP_SINGLE_ECDH_USE);
  SSL_CTX_set_cipher_list(c, kTls12Ciphers);
  SSL_CTX_set1_groups_list(c, "X25519:P-256:P-384");
  // Resumption: the session cache and tickets work across the per-certificate contexts
  // because they share this id context and the ticket keys.
  static const unsigned char kSessionContext[] = "wharf";
  SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_alpn_select_cb(c, select_alpn, nullptr);
  use_rotating_ticket_keys(c);
}

model::Result<std::shared_ptr<ssl::context>> make_server_context(std::string_view cert_pem,
                                                                 std::string_view key_pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  apply_server_policy(*ctx);
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(cert_pem.data(), cert_pem.size()), ec);
  if (ec) return model::Error{"certificate: " + ec.message()};
  ctx->use_private_key(boost::asio::buffer(key_pem.data(), key_pem.size()), ssl::context::pem, ec);
  if (ec) return model::Error{"key: " + ec.message()};
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return model::Error{"the key does not belong to the certificate"};
  }
  return ctx;
}

model::Result<std::shared_ptr<ssl::context>> make_acme_challenge_context(std::string_view cert_pem,
                                                                         std::string_view key_pem) {
  auto ctx = make_server_context(cert_pem, key_pem);
  if (ctx) SSL_CTX_set_alpn_select_cb((*ctx)->native_handle(), select_acme_alpn, nullptr);
  return ctx;
}

void offer_http2(SSL* ssl, bool on) {
  SSL_set_ex_data(ssl, http1_only_index(), on ? nullptr : reinterpret_cast<void*>(1));
}

bool negotiated_http2(SSL* ssl) {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &proto, &len);
  return std::string_view(reinterpret_cast<const char*>(proto), len) == "h2";
}

bool is_acme_validation(SSL* ssl) {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &proto, &len);
  return std::string_view(reinterpret_cast<const char*>(proto), len) == "acme-tls/1";
}

ssl::context& default_context() {
  static ssl::context* ctx = [] {
    auto* c = new ssl::context(ssl::context::tls_server);  // Lives as long as the process.
    apply_server_policy(*c);
    use_self_signed(*c);
    SSL_CTX_set_client_hello_cb(c->native_handle(), on_client_hello, nullptr);
    SSL_CTX_set_tlsext_servername_callback(c->native_handle(), on_server_name);
    return c;
  }();
  return *ctx;
}

std::uint64_t default_certificate_served() {
  return default_served.load(std::memory_order_relaxed);
}

}  // namespace wharf::dataplane::tls
