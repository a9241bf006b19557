#pragma once

// What a TLS ClientHello says before anyone answers it: the server name (SNI) and the ALPN
// protocols. TCP routers read it to choose a route (HostSNI, ALPN), including for TLS they
// pass through without terminating. Pure over the bytes received so far, so it is fuzzed and
// unit-tested with ClientHellos split every way.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::dataplane::l4 {

// The most a ClientHello may take, its record headers included. Post-quantum key shares and
// ECH make them 2-8 KiB; 32 KiB bounds what a client can make a connection hold unrouted.
inline constexpr std::size_t kMaxClientHello = 32 * 1024;

struct ClientHello {
  enum class Status {
    kIncomplete,  // A ClientHello so far: read more (within the header timeout).
    kNotTls,      // The first byte is not a TLS handshake record: plain TCP (or HTTP).
    kBad,         // A handshake record that is not a well-formed ClientHello, or too long.
    kOk,
  };
  Status status = Status::kIncomplete;
  std::string server_name;  // Lower case; empty without the extension.
  std::vector<std::string> alpn;
  std::string reason;  // With kBad.
};

ClientHello parse_client_hello(std::string_view bytes);

}  // namespace wharf::dataplane::l4
