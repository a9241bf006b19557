#include "dataplane/tcp/proxy_protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace wharf::dataplane::l4 {
namespace {

namespace ip = boost::asio::ip;
using Status = ProxyHeader::Status;

constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::size_t kMaxV1 = 107;  // "PROXY TCP6 " + two full IPv6, two ports, CRLF.

ProxyHeader bad(std::string reason) {
  ProxyHeader h;
  h.status = Status::kBad;
  h.reason = std::move(reason);
  return h;
}

// Whether `bytes` (shorter than `whole`) could still grow into `whole`.
bool prefix_of(std::string_view bytes, std::string_view whole) {
  return whole.substr(0, bytes.size()) == bytes.substr(0, std::min(bytes.size(), whole.size()));
}

bool port_of(std::string_view s, std::uint16_t& out) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v > 65535) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

ProxyHeader parse_v1(std::string_view bytes) {
  // The line ends at its first LF, which a CR must precede.
  const auto lf = bytes.find('\n');
  if (lf == std::string_view::npos || lf + 1 > kMaxV1) {
    if (bytes.size() >= kMaxV1) return bad("PROXY v1 line longer than 107 bytes");
    return {};
  }
  if (bytes[lf - 1] != '\r') return bad("PROXY v1 line ends without CRLF");
  const auto eol = lf - 1;
  const std::string_view line = bytes.substr(kV1Prefix.size(), eol - kV1Prefix.size());
  ProxyHeader h;
  h.status = Status::kOk;
  h.version = 1;
  h.size = eol + 2;
  if (line.starts_with("UNKNOWN")) return h;  // Whatever follows is ignored (the spec's rule).
  std::array<std::string_view, 5> f;
  std::size_t n = 0, start = 0;
  for (;;) {
    const auto sp = line.find(' ', start);
    if (n == f.size()) return bad("PROXY v1: too many fields");
    f[n++] = line.substr(start, sp == std::string_view::npos ? sp : sp - start);
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  if (n != 5) return bad("PROXY v1: expected PROTO SRC DST SRCPORT DSTPORT");
  const bool v6 = f[0] == "TCP6";
  if (!v6 && f[0] != "TCP4") return bad("PROXY v1: protocol must be TCP4, TCP6 or UNKNOWN");
  boost::system::error_code e1, e2;
  const std::string src(f[1]), dst(f[2]);
  const auto a = ip::make_address(src, e1), b = ip::make_address(dst, e2);
  if (e1 || e2 || a.is_v6() != v6 || b.is_v6() != v6) {
    return bad(std::string("PROXY v1: addresses are not ") + (v6 ? "IPv6" : "IPv4"));
  }
  std::uint16_t sp = 0, dp = 0;
  if (!port_of(f[3], sp) || !port_of(f[4], dp)) return bad("PROXY v1: bad port");
  h.has_addresses = true;
  h.source = {a, sp};
  h.destination = {b, dp};
  return h;
}

ProxyHeader parse_v2(std::string_view bytes) {
  if (bytes.size() < 16) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned version = p[12] >> 4, command = p[12] & 0x0f;
  const unsigned family = p[13] >> 4;
  const std::size_t length = (std::size_t{p[14]} << 8) | p[15];
  if (version != 2) return bad("PROXY v2: version " + std::to_string(version));
  if (command > 1) return bad("PROXY v2: unknown command " + std::to_string(command));
  if (16 + length > kMaxProxyHeader) return bad("PROXY v2 header longer than 4096 bytes");
  if (bytes.size() < 16 + length) return {};
  ProxyHeader h;
  h.status = Status::kOk;
  h.version = 2;
  h.size = 16 + length;
  if (command == 0) return h;  // LOCAL: the proxy's own connection (a health check).
  const unsigned char* a = p + 16;
  if (family == 1) {  // AF_INET: 4 + 4 + 2 + 2 bytes.
    if (length < 12) return bad("PROXY v2: INET addresses need 12 bytes");
    ip::address_v4::bytes_type s, d;
    std::memcpy(s.data(), a, 4);
    std::memcpy(d.data(), a + 4, 4);
    h.source = {ip::address_v4(s), static_cast<std::uint16_t>((a[8] << 8) | a[9])};
    h.destination = {ip::address_v4(d), static_cast<std::uint16_t>((a[10] << 8) | a[11])};
    h.has_addresses = true;
  } else if (family == 2) {  // AF_INET6: 16 + 16 + 2 + 2 bytes.
    if (length < 36) return bad("PROXY v2: INET6 addresses need 36 bytes");
    ip::address_v6::bytes_type s, d;
    std::memcpy(s.data(), a, 16);
    std::memcpy(d.data(), a + 16, 16);
    h.source = {ip::address_v6(s), static_cast<std::uint16_t>((a[32] << 8) | a[33])};
    h.destination = {ip::address_v6(d), static_cast<std::uint16_t>((a[34] << 8) | a[35])};
    h.has_addresses = true;
  }
  // AF_UNSPEC and AF_UNIX carry nothing a TCP connection can use: its own addresses stand,
  // as the spec asks. TLVs after the addresses are skipped with the rest.
  return h;
}

void put16(std::string& out, unsigned v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

}  // namespace

ProxyHeader parse_proxy_header(std::string_view bytes) {
  if (bytes.empty()) return {};
  // Neither signature can begin a TLS ClientHello or an HTTP request (leading CRLFs, which
  // RFC 9112 lets a request have, part from the v2 signature at its fifth byte).
  if (prefix_of(bytes, kV2Signature)) {
    return bytes.size() < kV2Signature.size() ? ProxyHeader{} : parse_v2(bytes);
  }
  if (prefix_of(bytes, kV1Prefix)) {
    return bytes.size() < kV1Prefix.size() ? ProxyHeader{} : parse_v1(bytes);
  }
  ProxyHeader none;
  none.status = Status::kNone;
  return none;
}

std::string proxy_header(int version, const ip::tcp::endpoint& source,
                         const ip::tcp::endpoint& destination) {
  ip::address s = source.address(), d = destination.address();
  if (s.is_v4() != d.is_v4()) {
    if (s.is_v4()) s = ip::make_address_v6(ip::v4_mapped, s.to_v4());
    if (d.is_v4()) d = ip::make_address_v6(ip::v4_mapped, d.to_v4());
  }
  if (version == 1) {
    return std::string("PROXY ") + (s.is_v4() ? "TCP4 " : "TCP6 ") + s.to_string() + " " +
           d.to_string() + " " + std::to_string(source.port()) + " " +
           std::to_string(destination.port()) + "\r\n";
  }
  std::string out(kV2Signature);
  out.push_back(static_cast<char>(0x21));                     // Version 2, PROXY.
  out.push_back(static_cast<char>(s.is_v4() ? 0x11 : 0x21));  // INET or INET6, STREAM.
  if (s.is_v4()) {
    put16(out, 12);
    const auto sb = s.to_v4().to_bytes(), db = d.to_v4().to_bytes();
    out.append(reinterpret_cast<const char*>(sb.data()), sb.size());
    out.append(reinterpret_cast<const char*>(db.data()), db.size());
  } else {
    put16(out, 36);
    const auto sb = s.to_v6().to_bytes(), db = d.to_v6().to_bytes();
    out.append(reinterpret_cast<const char*>(sb.data()), sb.size());
    out.append(reinterpret_cast<const char*>(db.data()), db.size());
  }
  put16(out, source.port());
  put16(out, destination.port());
  return out;
}

}  // namespace wharf::dataplane::l4
