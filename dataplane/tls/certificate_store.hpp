#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "dataplane/tls/tls_options.hpp"
#include "model/routing_table.hpp"

typedef struct ssl_st SSL;

namespace wharf::dataplane::tls {

// The table's certificates by TLS server name, built with the table on the control thread and
// then only read. Selection (RFC 6066 SNI, Traefik's order): the exact name, then a one-label
// wildcard (`*.example.com` for `a.example.com`, not `b.a.example.com`), else the table's
// default certificate, else the generated one.
class CertificateStore {
 public:
  // Fails, naming the certificate, when one does not load; the table is then refused.
  // `options_by_host` maps router hosts (exact, or "*.example.com") to the TLS options their
  // routers name; hosts not in it get the options named "default@..." when there are some.
  static model::Result<std::shared_ptr<const CertificateStore>> build(
      const std::vector<model::Certificate>& certificates,
      const std::vector<model::AcmeChallenge>& challenges = {},
      const std::vector<model::TlsOptions>& options = {},
      const std::map<std::string, std::string>& options_by_host = {});

  // The context for `server_name` (lowercase), or nullptr when no certificate covers it.
  boost::asio::ssl::context* select(std::string_view server_name) const;
  // The table's default certificate (a `default` one), or nullptr: the generated one serves.
  boost::asio::ssl::context* fallback() const;

  // The TLS-ALPN-01 validation certificate for `server_name` (lowercase), or nullptr.
  boost::asio::ssl::context* acme_challenge(std::string_view server_name) const;
  bool has_acme_challenges() const { return !acme_.empty(); }
  // The TLS options a handshake for `server_name` (lowercase; empty without SNI) gets, or null.
  const CompiledTlsOptions* options_for(std::string_view server_name) const;
  const CompiledTlsOptions* options_named(std::string_view name) const;
  bool has_options() const { return !options_.empty(); }

  // Makes `ssl` (created from default_context()) consult this store when the ClientHello names
  // a server; the store must outlive the handshake.
  void attach(SSL* ssl) const;
  static const CertificateStore* attached(SSL* ssl);

  // Each certificate's name and notAfter (Unix seconds), read once when the table is built:
  // the metric operators alert on before a certificate expires.
  const std::vector<std::pair<std::string, std::int64_t>>& expiries() const { return expiries_; }

 private:
  std::vector<std::shared_ptr<boost::asio::ssl::context>> contexts_;
  std::unordered_map<std::string, boost::asio::ssl::context*> exact_;
  std::unordered_map<std::string, boost::asio::ssl::context*> wildcard_;  // ".example.com"
  boost::asio::ssl::context* default_ = nullptr;
  std::unordered_map<std::string, boost::asio::ssl::context*> acme_;  // tls-alpn-01, by name
  std::map<std::string, std::shared_ptr<const CompiledTlsOptions>, std::less<>> options_;
  std::unordered_map<std::string, const CompiledTlsOptions*> options_exact_, options_wildcard_;
  const CompiledTlsOptions* options_default_ = nullptr;
  std::vector<std::pair<std::string, std::int64_t>> expiries_;
};

}  // namespace wharf::dataplane::tls
