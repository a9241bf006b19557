#include "dataplane/tls/tls_options.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace wharf::dataplane::tls {
namespace {

int options_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int version_of(const std::string& v) {
  return v == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
}

// request / require_any: a client certificate is asked for but not judged (the application
// decides, as with Traefik's RequestClientCert and RequireAnyClientCert).
int accept_any(int, X509_STORE_CTX*) {
  return 1;
}

}  // namespace

model::Result<std::shared_ptr<const CompiledTlsOptions>> CompiledTlsOptions::build(
    const model::TlsOptions& options) {
  auto out = std::shared_ptr<CompiledTlsOptions>(new CompiledTlsOptions(options));
  for (const auto& c : options.cipher_suites) {
    auto& list = c.starts_with("TLS_") ? out->suites13_ : out->ciphers12_;
    list += (list.empty() ? "" : ":") + c;
  }
  for (const auto& g : options.curves) out->groups_ += (out->groups_.empty() ? "" : ":") + g;
  // Checked once here against a scratch context, so a bad name refuses the table instead of
  // failing handshakes one by one.
  SSL_CTX* probe = SSL_CTX_new(TLS_server_method());
  bool ok = (out->ciphers12_.empty() || SSL_CTX_set_cipher_list(probe, out->ciphers12_.c_str())) &&
            (out->suites13_.empty() || SSL_CTX_set_ciphersuites(probe, out->suites13_.c_str())) &&
            (out->groups_.empty() || SSL_CTX_set1_groups_list(probe, out->groups_.c_str()));
  SSL_CTX_free(probe);
  if (!ok) return model::Error{"a cipher suite or curve is not known to OpenSSL"};
  if (!options.client_cas.empty()) {
    out->store_ = X509_STORE_new();
    for (const auto& pem : options.client_cas) {
      BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
      int added = 0;
      while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        added += X509_STORE_add_cert(out->store_, cert) == 1;
        X509_free(cert);
      }
      BIO_free(bio);
      if (added == 0) return model::Error{"a client CA holds no PEM certificate"};
    }
  }
  return std::shared_ptr<const CompiledTlsOptions>(std::move(out));
}

CompiledTlsOptions::~CompiledTlsOptions() {
  if (store_) X509_STORE_free(store_);
}

void CompiledTlsOptions::apply(SSL* ssl) const {
  SSL_set_min_proto_version(ssl, version_of(options_.min_version));
  if (!options_.max_version.empty()) {
    SSL_set_max_proto_version(ssl, version_of(options_.max_version));
  }
  if (!ciphers12_.empty()) SSL_set_cipher_list(ssl, ciphers12_.c_str());
  if (!suites13_.empty()) SSL_set_ciphersuites(ssl, suites13_.c_str());
  if (!groups_.empty()) SSL_set1_groups_list(ssl, groups_.c_str());
  const auto& auth = options_.client_auth;
  if (auth.empty()) return;
  if (store_) SSL_set1_verify_cert_store(ssl, store_);
  if (auth == "request") {
    SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any);
  } else if (auth == "require_any") {
    SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
  } else if (auth == "verify_if_given") {
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
}

const CompiledTlsOptions* applied_options(SSL* ssl) {
  return static_cast<const CompiledTlsOptions*>(SSL_get_ex_data(ssl, options_index()));
}

void set_applied_options(SSL* ssl, const CompiledTlsOptions* options) {
  SSL_set_ex_data(ssl, options_index(), const_cast<CompiledTlsOptions*>(options));
}

}  // namespace wharf::dataplane::tls
