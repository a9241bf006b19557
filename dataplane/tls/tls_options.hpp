#pragma once

#include <memory>
#include <string>

#include "model/result.hpp"
#include "model/routing_table.hpp"

typedef struct ssl_st SSL;
typedef struct x509_store_st X509_STORE;

namespace wharf::dataplane::tls {

// TLS options (model::TlsOptions) ready for handshakes: they are applied to a connection in
// OpenSSL's ClientHello callback, the one moment the protocol version, suites and client
// certificate request can still be chosen per server name.
class CompiledTlsOptions {
 public:
  static model::Result<std::shared_ptr<const CompiledTlsOptions>> build(
      const model::TlsOptions& options);
  ~CompiledTlsOptions();
  CompiledTlsOptions(const CompiledTlsOptions&) = delete;
  CompiledTlsOptions& operator=(const CompiledTlsOptions&) = delete;

  void apply(SSL* ssl) const;
  const std::string& name() const { return options_.name; }
  bool sni_strict() const { return options_.sni_strict; }

 private:
  explicit CompiledTlsOptions(model::TlsOptions o) : options_(std::move(o)) {}
  model::TlsOptions options_;
  std::string ciphers12_, suites13_, groups_;
  X509_STORE* store_ = nullptr;  // Client certificate trust; null when none is verified.
};

// The options applied to a connection's handshake, or null (Wharf's defaults).
const CompiledTlsOptions* applied_options(SSL* ssl);
void set_applied_options(SSL* ssl, const CompiledTlsOptions* options);

}  // namespace wharf::dataplane::tls
