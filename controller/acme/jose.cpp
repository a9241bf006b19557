#include "controller/acme/jose.hpp"
#include "net/openssl_free.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace wharf::controller::acme {
namespace {

using model::Error;

template <auto Free>
using Deleter = wharf::net::OpenSslFree<Free>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;

std::string sha256(std::string_view data) {
  unsigned char out[32];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
  return {reinterpret_cast<char*>(out), n};
}

// A big-endian coordinate, left-padded to 32 bytes.
std::string coordinate(const BIGNUM* bn) {
  unsigned char buf[32] = {};
  BN_bn2binpad(bn, buf, 32);
  return {reinterpret_cast<char*>(buf), 32};
}

// subjectAltName=DNS:a,DNS:b on `cert` or `req` (as an extension list).
X509_EXTENSION* san_extension(const std::vector<std::string>& domains) {
  std::string value;
  for (const auto& d : domains) value += (value.empty() ? "DNS:" : ",DNS:") + d;
  return X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str());
}

std::chrono::system_clock::time_point to_time(const ASN1_TIME* t) {
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    unsigned v = at(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    unsigned v = (at(i) << 16) | (at(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

model::Result<Key> Key::generate() {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  if (!k) return Error{"cannot generate a P-256 key"};
  return Key(k);
}

model::Result<Key> Key::from_pem(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!k) return Error{"not a PEM private key"};
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
    EVP_PKEY_free(k);
    return Error{"not an EC key (Wharf uses P-256 keys for ACME)"};
  }
  return Key(k);
}

Key::Key(Key&& o) noexcept : key_(o.key_) {
  o.key_ = nullptr;
}
Key& Key::operator=(Key&& o) noexcept {
  std::swap(key_, o.key_);
  return *this;
}
Key::~Key() {
  if (key_) EVP_PKEY_free(key_);
}

std::string Key::pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(n)};
}

std::string Key::jwk() const {
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  EVP_PKEY_get_bn_param(key_, OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(key_, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  std::string out = R"({"crv":"P-256","kty":"EC","x":")" + base64url(coordinate(x)) + R"(","y":")" +
                    base64url(coordinate(y)) + R"("})";
  BN_free(x);
  BN_free(y);
  return out;
}

std::string Key::thumbprint() const {
  return base64url(sha256(jwk()));
}

std::string Key::sign(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_);
  std::size_t len = 0;
  EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  std::string der(len, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                 reinterpret_cast<const unsigned char*>(data.data()), data.size());
  // OpenSSL signs in DER (a SEQUENCE of two INTEGERs); JWS wants the raw pair.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string raw = coordinate(r) + coordinate(s);
  ECDSA_SIG_free(sig);
  return base64url(raw);
}

std::string jws(const Key& key, const std::string& protected_header, const std::string& payload) {
  const std::string p = base64url(protected_header);
  const std::string body = base64url(payload);
  return R"({"protected":")" + p + R"(","payload":")" + body + R"(","signature":")" +
         key.sign(p + "." + body) + R"("})";
}

model::Result<std::string> csr(const Key& key, const std::vector<std::string>& domains) {
  if (domains.empty()) return Error{"a certificate needs at least one domain"};
  ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(domains[0].c_str()), -1, -1, 0);
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  sk_X509_EXTENSION_push(exts, san_extension(domains));
  X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  X509_REQ_set_pubkey(req.get(), key.get());
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) return Error{"cannot sign the CSR"};
  int n = i2d_X509_REQ(req.get(), nullptr);
  std::string der(static_cast<std::size_t>(n), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509_REQ(req.get(), &out);
  return base64url(der);
}

model::Result<std::pair<std::string, std::string>> alpn_certificate(
    const std::string& domain, const std::string& key_authorization) {
  auto key = Key::generate();
  if (!key) return Error{key.error()};
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  std::uint32_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(serial & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600);
  X509_set_pubkey(cert.get(), key->get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(domain.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_EXTENSION* san = san_extension({domain});
  X509_add_ext(cert.get(), san, -1);
  X509_EXTENSION_free(san);
  // id-pe-acmeIdentifier (1.3.6.1.5.5.7.1.31), critical, an OCTET STRING of the digest.
  const std::string digest = sha256(key_authorization);
  std::string value = std::string("\x04\x20", 2) + digest;
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
  ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(value.data()),
                        static_cast<int>(value.size()));
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 1, data);
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(data);
  ASN1_OBJECT_free(oid);
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) <= 0) {
    return Error{"cannot sign the TLS-ALPN-01 certificate"};
  }
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert.get());
  char* pem = nullptr;
  long n = BIO_get_mem_data(bio.get(), &pem);
  return std::pair{std::string(pem, static_cast<std::size_t>(n)), key->pem()};
}

model::Result<Validity> validity(const std::string& cert_pem) {
  Bio bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Error{"not a PEM certificate"};
  return Validity{to_time(X509_get0_notBefore(cert.get())),
                  to_time(X509_get0_notAfter(cert.get()))};
}

}  // namespace wharf::controller::acme
