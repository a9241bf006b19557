#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/acme/dns/message.hpp"
#include "model/result.hpp"

// TSIG (RFC 8945): the shared-key signature RFC 2136 updates carry, as BIND, Knot, PowerDNS and
// Technitium check them.
namespace wharf::controller::acme::dns {

struct TsigKey {
  std::string name;       // The key's name, as the server knows it ("acme-key").
  std::string algorithm;  // "hmac-sha256." (also sha1, sha224, sha384, sha512, md5).
  std::string secret;     // The raw key bytes (the configuration holds them base64).
};

// Whether `algorithm` is one Wharf signs with; names are taken with or without the final dot,
// and lego's spellings ("hmac-sha256.", "hmac-md5.sig-alg.reg.int.").
bool tsig_algorithm_known(std::string_view algorithm);

// Appends the TSIG record signing `m` at `now` (seconds since the epoch) and returns the wire
// form to send, with the MAC in `mac` (the answer's signature covers it).
model::Result<std::string> sign(Message& m, const TsigKey& key, std::uint64_t now,
                                std::string& mac);

// Checks the TSIG record an answer to a signed request carries (its last additional record):
// the key, the MAC over the request's MAC and the answer, the time within its fudge. An error
// says which.
model::Status verify(std::string_view wire, const Message& decoded, const TsigKey& key,
                     std::string_view request_mac, std::uint64_t now);

}  // namespace wharf::controller::acme::dns
