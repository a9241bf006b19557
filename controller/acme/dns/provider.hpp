#pragma once

#include <string>

#include "controller/net.hpp"
#include "model/result.hpp"

// Where DNS-01 puts its TXT records: one implementation per DNS provider (RFC 2136 servers,
// Cloudflare, an HTTP hook), configured like Traefik's and lego's.
namespace wharf::controller::acme::dns {

class Provider {
 public:
  virtual ~Provider() = default;
  // Adds TXT `value` at `fqdn` ("_acme-challenge.example.com", no final dot), beside any other
  // values there (a wildcard and its apex share the name).
  virtual awaitable<model::Result<bool>> present(std::string fqdn, std::string value) = 0;
  // Removes that value again; the others stay.
  virtual awaitable<model::Result<bool>> cleanup(std::string fqdn, std::string value) = 0;
};

}  // namespace wharf::controller::acme::dns
