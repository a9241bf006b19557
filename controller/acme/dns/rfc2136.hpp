#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "controller/acme/dns/client.hpp"
#include "controller/acme/dns/provider.hpp"
#include "controller/acme/dns/tsig.hpp"

namespace wharf::controller::acme::dns {

// lego's rfc2136 provider, configured by the same variables: RFC2136_NAMESERVER (required),
// RFC2136_TSIG_KEY, RFC2136_TSIG_SECRET (base64), RFC2136_TSIG_ALGORITHM (default
// hmac-sha1.), RFC2136_TTL (default 120), RFC2136_TIMEOUT (seconds, default 10).
struct Rfc2136Options {
  Server nameserver;
  std::optional<TsigKey> key;  // None: unsigned updates (a server allowing them by address).
  std::uint32_t ttl = 120;
  std::chrono::milliseconds timeout{10'000};
};
// A missing or bad variable is an error naming it.
model::Result<Rfc2136Options> rfc2136_options(const std::map<std::string, std::string>& env);

// Dynamic updates (RFC 2136) to the zone's primary server: the zone is the owner of the SOA
// the server answers for the name; the record is added (or deleted) as one UPDATE over TCP,
// TSIG-signed when a key is given, the answer's signature checked. A refusal names the zone
// and the server's reason (REFUSED, NOTAUTH, NOTZONE, BADKEY...).
class Rfc2136 : public Provider {
 public:
  explicit Rfc2136(Rfc2136Options options) : opt_(std::move(options)) {}
  awaitable<model::Status> present(Challenge c) override;
  awaitable<model::Status> cleanup(Challenge c) override;

 private:
  awaitable<model::Result<std::string>> zone_of(const std::string& fqdn);
  awaitable<model::Status> update(std::string fqdn, std::string value, bool add);

  Rfc2136Options opt_;
  std::uint16_t next_id_ = 0;
};

}  // namespace wharf::controller::acme::dns
