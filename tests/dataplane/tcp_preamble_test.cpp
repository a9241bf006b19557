// What a TCP entry point reads before it routes a connection: a PROXY protocol header from a
// trusted peer, and a TLS ClientHello's server name and ALPN. Real ClientHellos come from
// OpenSSL's client (the bytes its handshake writes to a memory BIO), fed whole and in every
// split, since a client's packets may cut them anywhere.

#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <string>

#include "dataplane/tcp/client_hello.hpp"
#include "dataplane/tcp/proxy_protocol.hpp"

namespace wharf::dataplane::l4 {
namespace {

namespace ip = boost::asio::ip;
using PStatus = ProxyHeader::Status;
using CStatus = ClientHello::Status;

ip::tcp::endpoint ep(const char* addr, unsigned short port) {
  return {ip::make_address(addr), port};
}

TEST(TcpPreamble, ProxyV1ParsesItsAddressesAndTellsWhereThePayloadStarts) {
  const std::string line = "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n";
  auto h = parse_proxy_header(line + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(h.status, PStatus::kOk) << h.reason;
  EXPECT_EQ(h.version, 1);
  EXPECT_EQ(h.size, line.size());
  EXPECT_TRUE(h.has_addresses);
  EXPECT_EQ(h.source, ep("192.0.2.7", 51234));
  EXPECT_EQ(h.destination, ep("198.51.100.1", 443));

  auto v6 = parse_proxy_header("PROXY TCP6 2001:db8::7 2001:db8::1 1 65535\r\n");
  ASSERT_EQ(v6.status, PStatus::kOk) << v6.reason;
  EXPECT_EQ(v6.source, ep("2001:db8::7", 1));
  auto unknown = parse_proxy_header("PROXY UNKNOWN whatever follows\r\nrest");
  ASSERT_EQ(unknown.status, PStatus::kOk);
  EXPECT_FALSE(unknown.has_addresses);
  EXPECT_EQ(unknown.size, 32u);
}

TEST(TcpPreamble, ProxyHeadersArriveInPiecesAndOtherBytesAreNotOne) {
  for (const std::string& whole : {std::string("PROXY TCP4 10.0.0.1 10.0.0.2 1000 2000\r\n"),
                                   proxy_header(2, ep("10.0.0.1", 1000), ep("10.0.0.2", 2000))}) {
    for (std::size_t n = 1; n < whole.size(); ++n) {
      EXPECT_EQ(parse_proxy_header(whole.substr(0, n)).status, PStatus::kIncomplete) << n;
    }
    EXPECT_EQ(parse_proxy_header(whole).status, PStatus::kOk);
  }
  for (const char* other : {"GET / HTTP/1.1\r\n", "\x16\x03\x01\x02\x00", "\r\n\r\nGET /",
                            "SSH-2.0-OpenSSH_9.2", "PROXZ"}) {
    EXPECT_EQ(parse_proxy_header(other).status, PStatus::kNone) << other;
  }
}

TEST(TcpPreamble, MalformedProxyHeadersAreRefusedWithTheReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"PROXY TCP4 192.0.2.7 198.51.100.1 51234\r\n", "expected PROTO SRC DST SRCPORT DSTPORT"},
      {"PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n", "addresses are not IPv4"},
      {"PROXY TCP4 192.0.2.7 198.51.100.1 65536 2\r\n", "bad port"},
      {"PROXY TCP4 192.0.2.7 198.51.100.1 01 2\r\n", "bad port"},
      {"PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n", "protocol must be TCP4, TCP6 or UNKNOWN"},
      {"PROXY TCP4 192.0.2.7 198.51.100.1 1 2\n", "ends without CRLF"},
      {"PROXY " + std::string(120, 'x'), "longer than 107 bytes"},
  };
  for (const auto& [bytes, why] : cases) {
    auto h = parse_proxy_header(bytes);
    EXPECT_EQ(h.status, PStatus::kBad) << bytes;
    EXPECT_NE(h.reason.find(why), std::string::npos) << bytes << ": " << h.reason;
  }
  std::string v2 = proxy_header(2, ep("10.0.0.1", 1), ep("10.0.0.2", 2));
  v2[12] = 0x31;  // Version 3.
  EXPECT_EQ(parse_proxy_header(v2).status, PStatus::kBad);
  v2[12] = 0x2f;  // Command 15.
  EXPECT_EQ(parse_proxy_header(v2).status, PStatus::kBad);
  v2[12] = 0x21;
  v2[14] = 0x20;  // 8,192 bytes announced.
  EXPECT_EQ(parse_proxy_header(v2).reason, "PROXY v2 header longer than 4096 bytes");
}

TEST(TcpPreamble, ProxyV2RoundTripsBothFamiliesAndLocalKeepsTheConnectionsAddresses) {
  for (const auto& [src, dst] : {std::pair{ep("192.0.2.7", 5), ep("198.51.100.1", 25)},
                                 std::pair{ep("2001:db8::7", 5), ep("2001:db8::1", 993)}}) {
    for (int version : {1, 2}) {
      const std::string bytes = proxy_header(version, src, dst);
      auto h = parse_proxy_header(bytes + "payload");
      ASSERT_EQ(h.status, PStatus::kOk) << h.reason;
      EXPECT_EQ(h.version, version);
      EXPECT_EQ(h.size, bytes.size());
      EXPECT_EQ(h.source, src);
      EXPECT_EQ(h.destination, dst);
    }
  }
  // Mixed families go out as IPv6 with the IPv4 one mapped.
  auto mixed = parse_proxy_header(proxy_header(2, ep("192.0.2.7", 5), ep("2001:db8::1", 6)));
  EXPECT_EQ(mixed.source, ep("::ffff:192.0.2.7", 5));
  // LOCAL (a health check from the proxy itself), with a TLV after it: skipped whole.
  std::string local(std::string_view("\r\n\r\n\0\r\nQUIT\n", 12));
  local += std::string("\x20\x00\x00\x03\x04\x00\x00", 7);
  auto h = parse_proxy_header(local + "x");
  ASSERT_EQ(h.status, PStatus::kOk);
  EXPECT_FALSE(h.has_addresses);
  EXPECT_EQ(h.size, 19u);
}

// The ClientHello OpenSSL's client sends for `sni` offering `alpn` (wire format).
std::string client_hello(const char* sni, const std::string& alpn) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  if (sni) SSL_set_tlsext_host_name(ssl, sni);
  if (!alpn.empty()) {
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                        static_cast<unsigned>(alpn.size()));
  }
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // Writes the ClientHello, then wants to read.
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string bytes(data, static_cast<std::size_t>(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return bytes;
}

TEST(TcpPreamble, ClientHelloGivesTheServerNameAndAlpnHoweverItIsSplit) {
  const std::string hello = client_hello("Mail.Example.COM", std::string("\x02h2\x08http/1.1", 12));
  ASSERT_GT(hello.size(), 100u);
  auto whole = parse_client_hello(hello);
  ASSERT_EQ(whole.status, CStatus::kOk) << whole.reason;
  EXPECT_EQ(whole.server_name, "mail.example.com");
  EXPECT_EQ(whole.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  for (std::size_t n = 1; n < hello.size(); ++n) {
    EXPECT_EQ(parse_client_hello(hello.substr(0, n)).status, CStatus::kIncomplete) << n;
  }
  // The same handshake message cut into records of 7 bytes, as a client may send it.
  const std::string message = hello.substr(5);
  std::string records;
  for (std::size_t at = 0; at < message.size(); at += 7) {
    const auto piece = message.substr(at, 7);
    records += std::string("\x16\x03\x01\x00", 4) + static_cast<char>(piece.size()) + piece;
  }
  auto split = parse_client_hello(records);
  ASSERT_EQ(split.status, CStatus::kOk) << split.reason;
  EXPECT_EQ(split.server_name, "mail.example.com");
  for (std::size_t n = 1; n < records.size(); n += 13) {
    EXPECT_EQ(parse_client_hello(records.substr(0, n)).status, CStatus::kIncomplete) << n;
  }
  auto bare = parse_client_hello(client_hello(nullptr, ""));
  ASSERT_EQ(bare.status, CStatus::kOk);
  EXPECT_EQ(bare.server_name, "");
  EXPECT_TRUE(bare.alpn.empty());
}

TEST(TcpPreamble, WhatIsNotAClientHelloIsToldApart) {
  EXPECT_EQ(parse_client_hello("SSH-2.0-OpenSSH").status, CStatus::kNotTls);
  EXPECT_EQ(parse_client_hello("GET / HTTP/1.1\r\n").status, CStatus::kNotTls);
  // A handshake record holding something else, a record too long, an alert in between.
  EXPECT_EQ(parse_client_hello(std::string("\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9)).status,
            CStatus::kBad);
  EXPECT_EQ(parse_client_hello(std::string("\x16\x03\x01\x48\x01", 5)).status, CStatus::kBad);
  EXPECT_EQ(parse_client_hello(std::string("\x16\x02\x00\x00\x04", 5)).status, CStatus::kBad);
  // A ClientHello announcing more than 32 KiB is refused before it all arrives.
  auto huge = parse_client_hello(std::string("\x16\x03\x01\x00\x04\x01\x01\x00\x00", 9));
  EXPECT_EQ(huge.status, CStatus::kBad);
  // One whose extensions run past its end: the message ten bytes shorter than it says.
  const std::string hello = client_hello("a.example", "");
  const std::string message = hello.substr(5);
  const std::size_t len = message.size() - 4 - 10;
  std::string cut = message.substr(0, 4 + len);
  cut[1] = static_cast<char>(len >> 16);
  cut[2] = static_cast<char>((len >> 8) & 0xff);
  cut[3] = static_cast<char>(len & 0xff);
  cut = std::string("\x16\x03\x01", 3) + static_cast<char>(cut.size() >> 8) +
        static_cast<char>(cut.size() & 0xff) + cut;
  auto short_one = parse_client_hello(cut);
  EXPECT_EQ(short_one.status, CStatus::kBad);
  EXPECT_EQ(short_one.reason, "ClientHello extensions cut short");
}

}  // namespace
}  // namespace wharf::dataplane::l4
