#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace wharf::controller::tls {

struct KeyPairInfo {
  std::vector<std::string> dns_names;  // subjectAltName DNS entries, else the subject CN.
  std::string not_after;               // "2027-02-21T10:00:00Z"
};

// Checks a certificate chain and private key the way the data plane will load them (PEM, the
// leaf first, the key matching the leaf), so a broken Secret or file is reported by the
// controller with its source instead of being refused by the data plane as a whole table.
// Errors name the inputs as `cert_what`/`key_what` ("tls.crt", "certFile /etc/x.pem") and never
// quote the key material.
model::Result<KeyPairInfo> check_key_pair(std::string_view cert_pem, std::string_view key_pem,
                                          const std::string& cert_what,
                                          const std::string& key_what);

// Checks a bundle of trusted CA certificates (a servers transport's rootCAs): at least one
// PEM certificate, every one of them parsing. Errors name the input as `what`.
model::Result<int> check_ca_bundle(std::string_view pem, const std::string& what);

// A name a certificate may be selected by (SNI): a DNS name or a one-label wildcard of one.
// Only these reach the table: the data plane refuses a table with anything else.
bool is_server_name(std::string_view name);

}  // namespace wharf::controller::tls
