#include "dataplane/tls/certificate_store.hpp"

#include <ctime>
#include <optional>

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
    auto ctx = make_server_context(c.cert_pem, c.key_pem);
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
