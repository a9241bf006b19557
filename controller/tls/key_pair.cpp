#include "controller/tls/key_pair.hpp"
#include "net/openssl_free.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <memory>

#include "text/utc_time.hpp"

namespace wharf::controller::tls {
namespace {

using model::Error;

template <auto Free>
using Deleter = wharf::net::OpenSslFree<Free>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Names = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

Bio memory(std::string_view pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// OpenSSL's reason for the last failure, for messages like "tls.key: bad decrypt".
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data found";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "unknown OpenSSL error";
}

std::string iso8601(const ASN1_TIME* t) {
  std::tm tm{};
  return ASN1_TIME_to_tm(t, &tm) == 1 ? text::utc_timestamp(tm) : std::string();
}

std::vector<std::string> dns_names(X509* cert) {
  std::vector<std::string> out;
  Names names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
      if (n->type != GEN_DNS) continue;
      const auto* s = n->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
  }
  if (!out.empty()) return out;
  // No DNS SAN: the subject's common name, which older certificates still rely on.
  X509_NAME* subject = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                     static_cast<std::size_t>(ASN1_STRING_length(cn)));
  }
  return out;
}

}  // namespace

model::Result<KeyPairInfo> check_key_pair(std::string_view cert_pem, std::string_view key_pem,
                                          const std::string& cert_what,
                                          const std::string& key_what) {
  ERR_clear_error();
  if (cert_pem.empty()) return Error{cert_what + " is empty"};
  if (key_pem.empty()) return Error{key_what + " is empty"};
  auto cert_bio = memory(cert_pem);
  X509Ptr leaf(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) return Error{cert_what + ": not a PEM certificate (" + openssl_reason() + ")"};
  // The rest of the chain must parse too, or the data plane would refuse the whole file.
  while (X509Ptr extra{PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)}) {
  }
  if (auto code = ERR_peek_last_error(); code != 0 && ERR_GET_REASON(code) != PEM_R_NO_START_LINE) {
    return Error{cert_what + ": a certificate after the first does not parse (" + openssl_reason() +
                 ")"};
  }
  ERR_clear_error();
  auto key_bio = memory(key_pem);
  // A null password callback result refuses encrypted keys instead of prompting on a tty.
  KeyPtr key(PEM_read_bio_PrivateKey(
      key_bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key) return Error{key_what + ": not a PEM private key (" + openssl_reason() + ")"};
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    return Error{key_what + " does not belong to the certificate in " + cert_what};
  }
  KeyPairInfo info;
  info.dns_names = dns_names(leaf.get());
  info.not_after = iso8601(X509_get0_notAfter(leaf.get()));
  return info;
}

model::Result<int> check_ca_bundle(std::string_view pem, const std::string& what) {
  auto bio = memory(pem);
  int count = 0;
  ERR_clear_error();
  while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) ++count;
  // Reading stops at the end of the data (a "no start line" error) or at a broken entry.
  unsigned long code = ERR_peek_last_error();
  bool clean_end = code == 0 || ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (count == 0) return Error{what + ": no PEM certificate in it"};
  if (!clean_end)
    return Error{what + ": certificate " + std::to_string(count + 1) + " does not parse"};
  return count;
}

bool is_server_name(std::string_view h) {
  if (h.starts_with("*.")) h.remove_prefix(2);
  if (h.empty() || h.size() > 253 || h.front() == '.' || h.back() == '.') return false;
  return std::all_of(h.begin(), h.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.';
  });
}

}  // namespace wharf::controller::tls
