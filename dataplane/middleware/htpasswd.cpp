#include "dataplane/middleware/htpasswd.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <string>

namespace wharf::dataplane::middleware {
namespace {

using Md5 = std::array<unsigned char, 16>;

class Md5Ctx {
 public:
  Md5Ctx() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5Ctx() { EVP_MD_CTX_free(ctx_); }
  Md5Ctx(const Md5Ctx&) = delete;
  Md5Ctx& operator=(const Md5Ctx&) = delete;
  void add(std::string_view s) { EVP_DigestUpdate(ctx_, s.data(), s.size()); }
  void add(const Md5& d, std::size_t n = 16) { EVP_DigestUpdate(ctx_, d.data(), n); }
  Md5 done() {
    Md5 out{};
    EVP_DigestFinal_ex(ctx_, out.data(), nullptr);
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// Apache's variant of Poul-Henning Kamp's MD5-crypt: the same algorithm as "$1$" with its own
// magic, which libcrypt does not know.
std::string apr1(std::string_view password, std::string_view hash) {
  constexpr std::string_view kMagic = "$apr1$";
  auto salt = hash.substr(kMagic.size());
  salt = salt.substr(0, std::min<std::size_t>(salt.find('$'), 8));
  Md5Ctx alt_ctx;
  alt_ctx.add(password);
  alt_ctx.add(salt);
  alt_ctx.add(password);
  Md5 alt = alt_ctx.done();
  Md5Ctx ctx;
  ctx.add(password);
  ctx.add(kMagic);
  ctx.add(salt);
  for (auto n = password.size(); n > 0; n -= std::min<std::size_t>(n, 16)) {
    ctx.add(alt, std::min<std::size_t>(n, 16));
  }
  for (auto n = password.size(); n != 0; n >>= 1) {
    ctx.add((n & 1) ? std::string_view("\0", 1) : password.substr(0, 1));
  }
  Md5 fin = ctx.done();
  for (int i = 0; i < 1000; ++i) {
    Md5Ctx round;
    if (i & 1) {
      round.add(password);
    } else {
      round.add(fin);
    }
    if (i % 3) round.add(salt);
    if (i % 7) round.add(password);
    if (i & 1) {
      round.add(fin);
    } else {
      round.add(password);
    }
    fin = round.done();
  }
  static constexpr std::string_view kItoa64 =
      "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out = std::string(kMagic) + std::string(salt) + "$";
  auto put = [&](unsigned v, int n) {
    while (n-- > 0) {
      out += kItoa64[v & 0x3f];
      v >>= 6;
    }
  };
  static constexpr int kGroups[5][3] = {{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}};
  for (const auto& g : kGroups) put((fin[g[0]] << 16) | (fin[g[1]] << 8) | fin[g[2]], 4);
  put(fin[11], 2);
  return out;
}

std::string sha1_base64(std::string_view password) {
  unsigned char digest[20];
  unsigned len = 0;
  EVP_Digest(password.data(), password.size(), digest, &len, EVP_sha1(), nullptr);
  unsigned char b64[32] = {};
  int n = EVP_EncodeBlock(b64, digest, 20);
  return "{SHA}" + std::string(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool verify_htpasswd(std::string_view hash, std::string_view password) {
  if (hash.starts_with("$apr1$")) return same(apr1(password, hash), hash);
  if (hash.starts_with("{SHA}")) return same(sha1_base64(password), hash);
  // libcrypt reads NUL-terminated strings: a password with a NUL in it cannot match.
  if (password.find('\0') != std::string_view::npos) return false;
  crypt_data data{};
  std::string pw(password), setting(hash);
  const char* out = crypt_rn(pw.c_str(), setting.c_str(), &data, sizeof data);
  return out && out[0] != '*' && same(out, hash);
}

}  // namespace wharf::dataplane::middleware
