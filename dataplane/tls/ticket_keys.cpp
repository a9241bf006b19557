#include "dataplane/tls/ticket_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>

namespace wharf::dataplane::tls {
namespace {

constexpr auto kRotationPeriod = std::chrono::hours(4);
constexpr std::size_t kKeysKept = 3;

struct TicketKey {
  std::array<unsigned char, 16> name;
  std::array<unsigned char, 32> aes;
  std::array<unsigned char, 32> hmac;
  std::chrono::steady_clock::time_point created;
};

class Keys {
 public:
  // The newest key (rotating first if it is too old), or nullptr if randomness failed.
  bool newest(TicketKey& out) {
    std::lock_guard lock(mu_);
    if (keys_.empty() ||
        std::chrono::steady_clock::now() - keys_.front().created >= kRotationPeriod)
      add();
    if (keys_.empty()) return false;
    out = keys_.front();
    return true;
  }
  // 1: the newest key; 2: an older one still accepted; 0: unknown.
  int find(const unsigned char* name, TicketKey& out) {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (std::memcmp(keys_[i].name.data(), name, 16) == 0) {
        out = keys_[i];
        return i == 0 ? 1 : 2;
      }
    }
    return 0;
  }
  void rotate() {
    std::lock_guard lock(mu_);
    add();
  }

 private:
  void add() {
    TicketKey k;
    if (RAND_bytes(k.name.data(), 16) != 1 || RAND_bytes(k.aes.data(), 32) != 1 ||
        RAND_bytes(k.hmac.data(), 32) != 1) {
      return;
    }
    k.created = std::chrono::steady_clock::now();
    keys_.push_front(k);
    if (keys_.size() > kKeysKept) keys_.pop_back();
  }

  std::mutex mu_;  // Handshakes on every worker thread read the keys.
  std::deque<TicketKey> keys_;
};

Keys& keys() {
  static Keys k;
  return k;
}

bool set_mac_key(EVP_MAC_CTX* mac, TicketKey& k) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k.hmac.data(), k.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// OpenSSL's ticket callback (see SSL_CTX_set_tlsext_ticket_key_evp_cb): AES-256-CBC for the
// ticket, HMAC-SHA256 over it, keyed by the rotating keys above.
int ticket_callback(SSL*, unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                    EVP_MAC_CTX* mac, int encrypt) {
  TicketKey k;
  if (encrypt) {
    if (!keys().newest(k) || RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1)
      return -1;
    std::memcpy(key_name, k.name.data(), 16);
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k.aes.data(), iv) != 1) return -1;
    return set_mac_key(mac, k) ? 1 : -1;
  }
  int found = keys().find(key_name, k);
  if (found == 0) return 0;  // Unknown or expired key: a full handshake.
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k.aes.data(), iv) != 1) return -1;
  if (!set_mac_key(mac, k)) return -1;
  return found;  // 2 asks OpenSSL to issue a new ticket under the newest key.
}

}  // namespace

void use_rotating_ticket_keys(SSL_CTX* ctx) {
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_callback);
}

void rotate_ticket_keys() {
  keys().rotate();
}

}  // namespace wharf::dataplane::tls
