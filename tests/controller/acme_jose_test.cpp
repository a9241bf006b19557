// The cryptography of the ACME client, checked against OpenSSL and RFC test vectors; the
// protocol itself is tested end to end against Pebble (tests/integration/acme_test.cpp).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include "controller/acme/jose.hpp"
#include "text/base64.hpp"

namespace wharf::controller::acme {
namespace {

TEST(AcmeJose, Base64UrlHasNoPaddingAndTheUrlAlphabet) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
}

// Secret data, as the Kubernetes API reads it (ACME storage in a Secret): RFC 4648 vectors.
TEST(AcmeJose, StandardBase64IsPaddedAndRoundTrips) {
  const char* vectors[][2] = {{"", ""},
                              {"f", "Zg=="},
                              {"fo", "Zm8="},
                              {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="},
                              {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"},
                              {"\xfb\xff", "+/8="}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(text::base64_encode(plain), encoded);
    EXPECT_EQ(text::base64_decode(encoded), plain);
  }
}

TEST(AcmeJose, KeysRoundTripAndThumbprintsAreStable) {
  auto key = Key::generate();
  ASSERT_TRUE(key.ok());
  auto again = Key::from_pem(key->pem());
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(key->jwk(), again->jwk());
  EXPECT_EQ(key->thumbprint(), again->thumbprint());
  EXPECT_EQ(key->thumbprint().size(), 43u);  // SHA-256, base64url without padding.
  EXPECT_EQ(key->jwk().rfind(R"({"crv":"P-256","kty":"EC","x":")", 0), 0u);
  EXPECT_FALSE(Key::from_pem("not a key").ok());
}

TEST(AcmeJose, SignaturesVerifyWithThePublicKey) {
  auto key = Key::generate();
  ASSERT_TRUE(key.ok());
  const std::string data = "eyJhbGciOiJFUzI1NiJ9.e30";
  std::string sig = key->sign(data);
  ASSERT_EQ(sig.size(), 86u);  // 64 bytes r||s.
  // Back from base64url and r||s to DER, and through OpenSSL's verifier.
  std::string std64 = sig;
  for (auto& c : std64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  std64 += "==";
  unsigned char raw[66];
  int n = EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(std64.data()),
                          static_cast<int>(std64.size()));
  ASSERT_GE(n, 64);
  ECDSA_SIG* s = ECDSA_SIG_new();
  ECDSA_SIG_set0(s, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(s, &der);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key->get());
  EXPECT_EQ(EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()),
            1);
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  ECDSA_SIG_free(s);
}

TEST(AcmeJose, TheTlsAlpnCertificateCarriesTheCriticalAcmeIdentifier) {
  auto made = alpn_certificate("app.example", "token.thumbprint");
  ASSERT_TRUE(made.ok()) << made.error();
  BIO* bio = BIO_new_mem_buf(made->first.data(), static_cast<int>(made->first.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
  int at = X509_get_ext_by_OBJ(cert, oid, -1);
  ASSERT_GE(at, 0);
  X509_EXTENSION* ext = X509_get_ext(cert, at);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1);
  ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  ASSERT_EQ(ASN1_STRING_length(value), 34);  // OCTET STRING of a SHA-256 digest.
  unsigned char want[32];
  unsigned int len = 0;
  const std::string ka = "token.thumbprint";
  EVP_Digest(ka.data(), ka.size(), want, &len, EVP_sha256(), nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)) + 2, 32),
            std::string(reinterpret_cast<char*>(want), 32));
  EXPECT_EQ(X509_check_host(cert, "app.example", 0, 0, nullptr), 1);
  ASN1_OBJECT_free(oid);
  X509_free(cert);
  auto v = validity(made->first);
  ASSERT_TRUE(v.ok());
  EXPECT_LT(v->not_before, v->not_after);
}

}  // namespace
}  // namespace wharf::controller::acme
