#include "dataplane/tls/certificate_store.hpp"

#include <array>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dataplane/tls/server_context.hpp"

namespace wharf::dataplane::tls {
namespace {

// Where a connection's SSL object keeps the store of the table it was accepted under.
int store_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// notAfter of the certificate a server context presents, as Unix seconds.
std::optional<std::int64_t> not_after(boost::asio::ssl::context& ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx.native_handle());
  std::tm tm{};
  if (!cert || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

// Server contexts by the SHA-256 of their certificate and key, so a new table reuses the
// contexts of the certificates the previous one had: building a context parses the chain and
// the key and checks them (about a millisecond each), and an EndpointSlice change in a
// cluster with 1,000 TLS Ingresses would otherwise spend a second on it. A context depends on
// nothing else (options are applied per connection). Held weakly: a context lives as long as
// a table uses it.
class ContextCache {
 public:
  model::Result<std::shared_ptr<boost::asio::ssl::context>> get(std::string_view cert_pem,
                                                                std::string_view key_pem) {
    const Digest d = digest(cert_pem, key_pem);
    {
      std::lock_guard lock(mu_);
      if (auto it = contexts_.find(d); it != contexts_.end()) {
        if (auto ctx = it->second.lock()) return ctx;
      }
    }
    auto made = make_server_context(cert_pem, key_pem);
    if (!made) return made;
    std::lock_guard lock(mu_);
    if (contexts_.size() >= 2 * live_ + 64) {
      std::erase_if(contexts_, [](const auto& e) { return e.second.expired(); });
      live_ = contexts_.size();
    }
    contexts_[d] = *made;
    return made;
  }

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest(std::string_view cert_pem, std::string_view key_pem) {
    Digest d{};
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    const unsigned char separator = 0;
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    EVP_DigestUpdate(md, cert_pem.data(), cert_pem.size());
    EVP_DigestUpdate(md, &separator, 1);
    EVP_DigestUpdate(md, key_pem.data(), key_pem.size());
    EVP_DigestFinal_ex(md, d.data(), nullptr);
    EVP_MD_CTX_free(md);
    return d;
  }

  std::mutex mu_;
  std::map<Digest, std::weak_ptr<boost::asio::ssl::context>> contexts_;
  std::size_t live_ = 0;
};

ContextCache& context_cache() {
  static ContextCache* cache = new ContextCache;  // Lives as long as the process.
  return *cache;
}

}  // namespace

model::Result<std::shared_ptr<const CertificateStore>> CertificateStore::build(
    const std::vector<model::Certificate>& certificates,
    const std::vector<model::AcmeChallenge>& challenges,
    const std::vector<model::TlsOptions>& options,
    const std::map<std::string, std::string>& options_by_host) {
  auto store = std::make_shared<CertificateStore>();
  for (const auto& o : options) {
    auto compiled = CompiledTlsOptions::build(o);
    if (!compiled) return model::Error{"TLS options '" + o.name + "': " + compiled.error()};
    if (o.name.starts_with("default@")) store->options_default_ = compiled->get();
    store->options_.emplace(o.name, std::move(*compiled));
  }
  for (const auto& [host, name] : options_by_host) {
    const auto* o = store->options_named(name);
    if (!o) continue;
    if (host.starts_with("*.")) {
      store->options_wildcard_.emplace(lower(host.substr(1)), o);
    } else {
      store->options_exact_.emplace(lower(host), o);
    }
  }
  for (const auto& a : challenges) {
    if (a.domain.empty()) continue;
    auto ctx = make_acme_challenge_context(a.cert_pem, a.key_pem);
    if (!ctx) return model::Error{"acme challenge for " + a.domain + ": " + ctx.error()};
    store->contexts_.push_back(*ctx);
    store->acme_.emplace(lower(a.domain), ctx->get());
  }
  for (const auto& c : certificates) {
    auto ctx = context_cache().get(c.cert_pem, c.key_pem);
    if (!ctx) return model::Error{"certificate '" + c.name + "': " + ctx.error()};
    store->contexts_.push_back(*ctx);
    if (auto t = not_after(**ctx)) store->expiries_.emplace_back(c.name, *t);
    if (c.is_default) store->default_ = ctx->get();
    for (const auto& d : c.domains) {
      // Two certificates for one name: the first (tables are sorted by name) wins, as with
      // Traefik's store, and the choice does not change from one apply to the next.
      if (d.starts_with("*.")) {
        store->wildcard_.emplace(lower(d.substr(1)), ctx->get());
      } else {
        store->exact_.emplace(lower(d), ctx->get());
      }
    }
  }
  return std::shared_ptr<const CertificateStore>(std::move(store));
}

boost::asio::ssl::context* CertificateStore::select(std::string_view server_name) const {
  std::string name(server_name);
  if (auto it = exact_.find(name); it != exact_.end()) return it->second;
  auto dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  auto it = wildcard_.find(name.substr(dot));
  return it == wildcard_.end() ? nullptr : it->second;
}

boost::asio::ssl::context* CertificateStore::acme_challenge(std::string_view server_name) const {
  auto it = acme_.find(std::string(server_name));
  return it == acme_.end() ? nullptr : it->second;
}

const CompiledTlsOptions* CertificateStore::options_named(std::string_view name) const {
  auto it = options_.find(name);
  return it == options_.end() ? nullptr : it->second.get();
}

const CompiledTlsOptions* CertificateStore::options_for(std::string_view server_name) const {
  std::string name(server_name);
  if (auto it = options_exact_.find(name); it != options_exact_.end()) return it->second;
  if (auto dot = name.find('.'); dot != std::string::npos) {
    if (auto it = options_wildcard_.find(name.substr(dot)); it != options_wildcard_.end()) {
      return it->second;
    }
  }
  return options_default_;
}

boost::asio::ssl::context* CertificateStore::fallback() const {
  return default_;
}

void CertificateStore::attach(SSL* ssl) const {
  SSL_set_ex_data(ssl, store_index(), const_cast<CertificateStore*>(this));
}

const CertificateStore* CertificateStore::attached(SSL* ssl) {
  return static_cast<const CertificateStore*>(SSL_get_ex_data(ssl, store_index()));
}

}  // namespace wharf::dataplane::tls
