#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

// The cryptography ACME needs (RFC 8555, RFC 7515/7517/7638, RFC 8737), on OpenSSL: P-256 keys,
// JWS signatures, certificate signing requests and the TLS-ALPN-01 validation certificate.
namespace wharf::controller::acme {

std::string base64url(std::string_view bytes);

// A P-256 private key (the account's, or a certificate's).
class Key {
 public:
  static model::Result<Key> generate();
  static model::Result<Key> from_pem(const std::string& pem);
  Key(Key&&) noexcept;
  Key& operator=(Key&&) noexcept;
  ~Key();

  std::string pem() const;
  // The public key as a JWK ({"crv","kty","x","y"} in that order, RFC 7638's canonical form).
  std::string jwk() const;
  // base64url(SHA-256(jwk)): the account's part of every key authorization.
  std::string thumbprint() const;
  // ES256 over `data`: r || s, 32 bytes each (RFC 7518 section 3.4), base64url.
  std::string sign(std::string_view data) const;
  EVP_PKEY* get() const { return key_; }

 private:
  explicit Key(EVP_PKEY* key) : key_(key) {}
  EVP_PKEY* key_ = nullptr;
};

// A flattened JWS (RFC 7515 section 7.2.2) as ACME wants it: `protected_header` is the JSON
// of the protected header, `payload` the JSON payload ("" for POST-as-GET).
std::string jws(const Key& key, const std::string& protected_header, const std::string& payload);

// A CSR (DER, base64url) for `domains` (the first is the subject CN, all are SANs).
model::Result<std::string> csr(const Key& key, const std::vector<std::string>& domains);

// The TLS-ALPN-01 certificate for `domain`: self-signed, with the critical acmeIdentifier
// extension holding SHA-256 of the key authorization (RFC 8737 section 3). {cert, key} PEM.
model::Result<std::pair<std::string, std::string>> alpn_certificate(
    const std::string& domain, const std::string& key_authorization);

// A certificate's validity period, from its PEM (the leaf, first in the chain).
struct Validity {
  std::chrono::system_clock::time_point not_before, not_after;
};
model::Result<Validity> validity(const std::string& cert_pem);

}  // namespace wharf::controller::acme
