#pragma once

#include <string_view>

namespace wharf::dataplane::middleware {

// Verifies a password against an htpasswd hash: bcrypt ($2y$, $2b$, $2a$), MD5-crypt ($1$),
// SHA-256/512-crypt ($5$, $6$) through libcrypt, Apache's $apr1$ and {SHA} here. The final
// comparison is constant-time. bcrypt is slow by design (tens of milliseconds at cost 10),
// which is why basicauth caches what it verified.
bool verify_htpasswd(std::string_view hash, std::string_view password);

}  // namespace wharf::dataplane::middleware
