#include "dataplane/tls/certificate_store.hpp"

#include <openssl/ssl.h>

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

}  // namespace

model::Result<std::shared_ptr<const CertificateStore>> CertificateStore::build(
    const std::vector<model::Certificate>& certificates,
    const std::vector<model::AcmeChallenge>& challenges) {
  auto store = std::make_shared<CertificateStore>();
  for (const auto& a : challenges) {
    if (a.domain.empty()) continue;
    auto ctx = make_acme_challenge_context(a.cert_pem, a.key_pem);
    if (!ctx) return model::Error{"acme challenge for " + a.domain + ": " + ctx.error()};
    store->contexts_.push_back(*ctx);
    store->acme_.emplace(lower(a.domain), ctx->get());
  }
  for (const auto& c : certificates) {
    auto ctx = make_server_context(c.cert_pem, c.key_pem);
    if (!ctx) return model::Error{"certificate '" + c.name + "': " + ctx.error()};
    store->contexts_.push_back(*ctx);
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
