#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

#include "model/result.hpp"

typedef struct ssl_st SSL;

namespace wharf::dataplane::tls {

// One server TLS configuration for every certificate: TLS 1.2 and 1.3 only; for 1.2 only
// ECDHE key exchange with AEAD ciphers (forward secrecy, no CBC), server preference; no
// compression, no renegotiation; ALPN prefers h2, then http/1.1; session tickets under rotating
// keys (ticket_keys.hpp).
void apply_server_policy(boost::asio::ssl::context& ctx);

// A server context serving this PEM chain and key, with the policy above.
model::Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(
    std::string_view cert_pem, std::string_view key_pem);

// A context serving a TLS-ALPN-01 validation certificate (RFC 8737): it negotiates ALPN
// acme-tls/1 and nothing else; the connection carries no HTTP.
model::Result<std::shared_ptr<boost::asio::ssl::context>> make_acme_challenge_context(
    std::string_view cert_pem, std::string_view key_pem);

// Whether ALPN may choose h2 on this connection (its entrypoint has HTTP/2 on); call before
// the handshake. On by default.
void offer_http2(SSL* ssl, bool on);
// True when the handshake negotiated h2.
bool negotiated_http2(SSL* ssl);

// True when the handshake negotiated acme-tls/1: a validator that is done once it has seen
// the certificate.
bool is_acme_validation(SSL* ssl);

// The context every TLS connection starts from: it serves the self-signed default certificate
// (CN "WHARF DEFAULT CERT", P-256, generated on first use, i.e. at start, never written to
// disk) and holds the SNI callback that switches to a certificate of the table. Thread-safe.
boost::asio::ssl::context& default_context();

// Connections that named no certificate of the table (or sent no SNI) and got a default one
// (the table's, or the generated one).
std::uint64_t default_certificate_served();

}  // namespace wharf::dataplane::tls
