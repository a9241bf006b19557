#pragma once

// The PROXY protocol (HAProxy's spec, versions 1 and 2): the header a load balancer or proxy in
// front sends first on a connection to say whose connection it is, and the header Wharf sends
// a server for the same reason. Pure functions over bytes, so they are unit-tested and fuzzed
// without sockets; the connection code decides who may send one (trusted peers only).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

// Layer 4: the folder is tcp/, the namespace l4 (`tcp` already names Asio's protocol class in
// the data plane's namespace).
namespace wharf::dataplane::l4 {

// The largest header read: a v1 line is at most 107 bytes; v2 allows 16 + 65535, and TLVs
// (TLS details, a connection id) rarely pass a few hundred bytes, so 4 KiB bounds what a
// trusted peer can make a connection hold before its first byte of payload.
inline constexpr std::size_t kMaxProxyHeader = 4096;

struct ProxyHeader {
  enum class Status {
    kIncomplete,  // Could still become a header: read more (within the header timeout).
    kNone,        // Not a PROXY header: the connection starts with its own bytes.
    kBad,         // Starts as one but is malformed or too long: close the connection.
    kOk,
  };
  Status status = Status::kIncomplete;
  int version = 0;
  std::size_t size = 0;  // Bytes of the header, to skip before the payload.
  // False for v2 LOCAL, v1 UNKNOWN and families without addresses: the connection's own
  // addresses stand (a health check from the proxy itself, say).
  bool has_addresses = false;
  boost::asio::ip::tcp::endpoint source, destination;
  std::string reason;  // With kBad.
};

// Parses a header at the start of `bytes` (what has arrived so far).
ProxyHeader parse_proxy_header(std::string_view bytes);

// The header announcing a connection from `source` to `destination`: version 1 (text) or 2
// (binary, PROXY command, no TLVs). Mixed families are sent as IPv6, the IPv4 one mapped.
std::string proxy_header(int version, const boost::asio::ip::tcp::endpoint& source,
                         const boost::asio::ip::tcp::endpoint& destination);

}  // namespace wharf::dataplane::l4
