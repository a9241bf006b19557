#pragma once

#include <string>

#include "controller/net.hpp"
#include "model/result.hpp"

// Where DNS-01 puts its TXT records: one implementation per DNS provider (RFC 2136 servers,
// Cloudflare, an HTTP hook), configured like Traefik's and lego's.
namespace wharf::controller::acme::dns {

// One DNS-01 TXT record, and the ACME values it is made from (lego's httpreq RAW mode sends
// those instead, to hooks that make the record themselves).
struct Challenge {
  std::string fqdn;    // "_acme-challenge.example.com", no final dot.
  std::string value;   // The TXT value: base64url(SHA-256(key_authorization)).
  std::string domain;  // "example.com", or "*.example.com" for a wildcard's authorization.
  std::string token, key_authorization;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Adds TXT `value` at `fqdn`, beside any other values there (a wildcard and its apex share
  // the name).
  virtual awaitable<model::Status> present(Challenge c) = 0;
  // Removes that value again; the others stay.
  virtual awaitable<model::Status> cleanup(Challenge c) = 0;
};

}  // namespace wharf::controller::acme::dns
