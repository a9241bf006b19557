#include <openssl/evp.h>

#include <unordered_set>

#include "dataplane/middleware/builders.hpp"
#include "dataplane/middleware/htpasswd.hpp"
#include "text/base64.hpp"

namespace wharf::dataplane::middleware {
namespace {

// Credentials already verified, as SHA-256 digests of user, password and hash: bcrypt costs
// tens of milliseconds of a worker's time per check, which every request of a logged-in
// browser would otherwise pay. Bounded; cleared when full. Failures are not remembered.
class VerifiedCache {
 public:
  static std::string digest(std::string_view user, std::string_view password,
                            std::string_view hash) {
    std::string input;
    input.append(user).push_back('\0');
    input.append(password).push_back('\0');
    input.append(hash);
    unsigned char out[32];
    unsigned len = 0;
    EVP_Digest(input.data(), input.size(), out, &len, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
  }
  bool contains(const std::string& d) {
    std::lock_guard lock(mutex_);
    return known_.count(d) > 0;
  }
  void add(std::string d) {
    std::lock_guard lock(mutex_);
    if (known_.size() >= 4096) known_.clear();
    known_.insert(std::move(d));
  }

 private:
  std::mutex mutex_;
  std::unordered_set<std::string> known_;
};

class BasicAuth : public Middleware {
 public:
  BasicAuth(const spec::BasicAuth& s, std::shared_ptr<VerifiedCache> cache)
      : s_(s), cache_(std::move(cache)), challenge_("Basic realm=\"" + s.realm + "\"") {}

  std::optional<Reply> handle(Request& req) const override {
    auto user = authenticate(req.fields[http::field::authorization]);
    if (!user) {
      Reply r{401, {{"WWW-Authenticate", challenge_}}, {}};
      return r;
    }
    if (s_.remove_header) req.fields.erase(http::field::authorization);
    if (!s_.header_field.empty()) req.fields.set(s_.header_field, *user);
    return std::nullopt;
  }

 private:
  std::optional<std::string> authenticate(std::string_view header) const {
    constexpr std::string_view kBasic = "basic ";
    if (header.size() <= kBasic.size() || !beast::iequals(header.substr(0, 6), kBasic)) {
      return std::nullopt;
    }
    auto decoded = text::base64_decode(header.substr(kBasic.size()));
    if (!decoded) return std::nullopt;
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string_view name = std::string_view(*decoded).substr(0, colon);
    std::string_view password = std::string_view(*decoded).substr(colon + 1);
    for (const auto& [u, hash] : s_.users) {
      if (u != name) continue;
      auto d = VerifiedCache::digest(name, password, hash);
      if (cache_->contains(d)) return std::string(name);
      if (!verify_htpasswd(hash, password)) return std::nullopt;
      cache_->add(std::move(d));
      return std::string(name);
    }
    return std::nullopt;
  }

  spec::BasicAuth s_;
  std::shared_ptr<VerifiedCache> cache_;
  std::string challenge_;
};

}  // namespace

std::shared_ptr<const Middleware> make_basic_auth(const spec::BasicAuth& s, const std::string& key,
                                                  StateRegistry& states) {
  return std::make_shared<BasicAuth>(s, states.get<VerifiedCache>(key));
}

}  // namespace wharf::dataplane::middleware
