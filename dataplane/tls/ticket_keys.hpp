#pragma once

#include <openssl/ssl.h>

namespace wharf::dataplane::tls {

// Session ticket keys for every server context: random, in memory only, rotated. New tickets
// are sealed with the newest key; tickets sealed with the two before it are still accepted
// (and replaced by a fresh one), older ones fall back to a full handshake. Rotation happens on
// use once the newest key is older than the period, so a key is used for at most one period
// and a ticket resumes for at most three: a stolen key exposes hours of sessions, not the
// process's lifetime (OpenSSL's own key would never change).
void use_rotating_ticket_keys(SSL_CTX* ctx);

// Forces a rotation now (tests; an operator's SIGHUP could call it too).
void rotate_ticket_keys();

}  // namespace wharf::dataplane::tls
