// TCP and UDP routers against real servers: openssl s_server behind TLS passthrough chosen by
// SNI, tests/peers/tcp_peer.py (echo, a server that speaks first, a PROXY header checker
// written apart from Wharf, a UDP echo), TLS terminated by Wharf, HTTP and TCP routers on one
// entry point, the PROXY protocol from trusted and untrusted peers, preambles that come slowly
// or never, and UDP sessions: a hundred clients at once, idle ends, table swaps.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "test_common/certificates.hpp"
#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/eventually.hpp"
#include "test_common/tcp_clients.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

// A TLS client with SNI: the certificate's subject CN, and what came back for `send` (read
// until `want` bytes arrived or the connection ended).
struct TlsResult {
  bool handshake = false;
  std::string cn, received;
  std::string version;  // "TLSv1.3", ...
};
TlsResult tls_exchange(std::uint16_t port, const std::string& sni, const std::string& send,
                       std::size_t want) {
  TlsResult r;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  int fd = connect_to(port);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, sni.c_str());
  if (SSL_connect(ssl) == 1) {
    r.handshake = true;
    r.version = SSL_get_version(ssl);
    if (X509* cert = SSL_get1_peer_certificate(ssl)) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
      r.cn = cn;
      X509_free(cert);
    }
    if (!send.empty()) SSL_write(ssl, send.data(), static_cast<int>(send.size()));
    char buf[4096];
    while (r.received.size() < want) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      r.received.append(buf, static_cast<std::size_t>(n));
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (fd >= 0) ::close(fd);
  return r;
}

// openssl s_server with `cert`, echoing lines reversed (-rev).
Peer s_server(const Certificates& certs, const std::string& name) {
  Peer p;
  p.port = free_port();
  p.process = std::make_unique<ChildProcess>(std::vector<std::string>{
      "openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(p.port), "-cert",
      certs.path(name + ".crt"), "-key", certs.path(name + ".key"), "-rev", "-quiet"});
  EXPECT_TRUE(wait_until_listening(p.port)) << p.process->log();
  return p;
}

model::TcpRouter tcp_router(const std::string& name, const std::string& rule,
                            const std::string& service, const std::string& tls = "",
                            std::vector<std::string> entrypoints = {"web"}) {
  return {name, rule, 0, std::move(entrypoints), service, tls, ""};
}

model::TcpService tcp_service(const std::string& name, const Peer& peer,
                              std::uint32_t proxy_protocol = 0) {
  return {name, {{peer.address(), 1}}, proxy_protocol, 30'000};
}

class TcpRouting : public ::testing::Test {
 protected:
  TcpRouting() { certs.make("b", "b.example", "DNS:b.example"); }
  Certificates certs;
  InProcessDataplane dp{
      1,
      {"--entrypoint", "ssh=127.0.0.1:0", "--entrypoint", "pp=127.0.0.1:0", "--proxy-protocol",
       "pp=127.0.0.1/32", "--entrypoint", "strict=127.0.0.1:0", "--proxy-protocol",
       "strict=10.0.0.0/8", "--access-log", certs.path("access.log")}};
  UpstreamServer upstream{"http"};
};

// Two TLS servers behind one port, each reached by its name without Wharf ending TLS: the
// client sees each server's own certificate, and bytes go both ways.
TEST_F(TcpRouting, TlsPassthroughChoosesTheServerBySni) {
  auto a = s_server(certs, "exact");  // CN a.example
  auto b = s_server(certs, "b");      // CN b.example
  model::RoutingTable t;
  t.version = 1;
  t.tcp_services = {tcp_service("a@test", a), tcp_service("b@test", b)};
  t.tcp_routers = {tcp_router("a@test", "HostSNI(`a.example`)", "a@test", "passthrough"),
                   tcp_router("b@test", "HostSNI(`b.example`)", "b@test", "passthrough")};
  ASSERT_EQ(dp.apply(t), "ack");
  auto ra = tls_exchange(dp.port("web"), "a.example", "hello\n", 6);
  EXPECT_TRUE(ra.handshake);
  EXPECT_EQ(ra.cn, "a.example");
  EXPECT_EQ(ra.received, "olleh\n");
  auto rb = tls_exchange(dp.port("web"), "b.example", "abc\n", 4);
  EXPECT_EQ(rb.cn, "b.example");
  EXPECT_EQ(rb.received, "cba\n");
  // A name no router has: Wharf's own HTTPS answers (its default certificate, not a server's).
  auto other = tls_exchange(dp.port("web"), "c.example", "", 0);
  EXPECT_TRUE(other.handshake);
  EXPECT_NE(other.cn, "a.example");
  EXPECT_NE(other.cn, "b.example");
  auto m = metrics_when(dp.admin_port(),
                        "wharf_tcp_connections_total{router=\"a@test\",service=\"a@test\"}", 1);
  EXPECT_EQ(metric_sample(m, "wharf_tcp_connections_total{router=\"b@test\",service=\"b@test\"}"),
            1);
}

// HostSNI(`*`) without TLS on an entry point of its own: bytes relayed both ways, the client's
// half-close passed on (the server's "<eof>" comes after the echo), and a server that speaks
// first heard before the client says anything.
TEST_F(TcpRouting, PlainTcpBehindHostSniStarWithHalfCloseAndServerFirst) {
  auto echo = tcp_peer();
  auto banner = tcp_peer({"--banner", "220 mail ready"});
  model::RoutingTable t;
  t.version = 1;
  t.tcp_services = {tcp_service("echo@test", echo), tcp_service("smtp@test", banner)};
  t.tcp_routers = {tcp_router("ssh@test", "HostSNI(`*`)", "echo@test", "", {"ssh"}),
                   tcp_router("smtp@test", "HostSNI(`*`)", "smtp@test", "", {"web"})};
  ASSERT_EQ(dp.apply(t), "ack");
  const std::string big(300'000, 'x');
  EXPECT_EQ(tcp_exchange(dp.port("ssh"), "SSH-2.0-test\r\n" + big),
            "SSH-2.0-test\r\n" + big + "<eof>\n");
  // One access-log line per connection, with the bytes each way, router and server.
  const std::string logged = "\"TCP - TCP\" 0 " + std::to_string(14 + big.size() + 6) +
                             " \"-\" \"-\" - \"ssh@test\" \"" + echo.address() + "\"";
  EXPECT_TRUE(eventually([&] {
    return certs.read("access.log").find(logged) != std::string::npos;
  })) << certs.read("access.log");
  auto m = metrics_when(
      dp.admin_port(),
      "wharf_tcp_bytes_total{direction=\"in\",router=\"ssh@test\",service=\"echo@test\"}",
      14 + big.size());
  EXPECT_EQ(metric_sample(m,
                          "wharf_tcp_bytes_total{direction=\"out\",router=\"ssh@test\","
                          "service=\"echo@test\"}"),
            14 + big.size() + 6);
  int fd = connect_to(dp.port("web"));
  char line[64] = {};
  auto n = ::recv(fd, line, sizeof line - 1, 0);  // Nothing sent: the server speaks first.
  EXPECT_EQ(std::string(line, n > 0 ? static_cast<std::size_t>(n) : 0), "220 mail ready\n");
  ::close(fd);
}

// Wharf ends TLS with the table's certificate for the name and relays clear text to the server.
TEST_F(TcpRouting, TlsTerminatedInFrontOfAPlainServer) {
  auto echo = tcp_peer({"--name", "imap"});
  model::RoutingTable t;
  t.version = 1;
  t.certificates = {certs.exact};
  t.tcp_services = {tcp_service("imap@test", echo)};
  t.tcp_routers = {tcp_router("imaps@test", "HostSNI(`a.example`)", "imap@test", "terminate")};
  ASSERT_EQ(dp.apply(t), "ack");
  auto r = tls_exchange(dp.port("web"), "a.example", "a1 CAPABILITY\n", 19);
  EXPECT_EQ(r.cn, "a.example");
  EXPECT_EQ(r.received, "imap\na1 CAPABILITY\n");
  EXPECT_EQ(r.version, "TLSv1.3");

  // The router's TLS options apply to its handshakes (here: TLS 1.2 at most), as an HTTPS
  // router's do: a router asking client certificates is never served without them.
  model::TlsOptions legacy;
  legacy.name = "legacy@test";
  legacy.max_version = "1.2";
  t.version = 2;
  t.tls_options = {legacy};
  t.tcp_routers[0].tls_options = "legacy@test";
  ASSERT_EQ(dp.apply(t), "ack");
  auto old = tls_exchange(dp.port("web"), "a.example", "a1 NOOP\n", 13);
  EXPECT_EQ(old.version, "TLSv1.2");
  EXPECT_EQ(old.received, "imap\na1 NOOP\n");
}

// HTTP routers and TCP routers on one entry point each get their traffic: plain HTTP, HTTPS
// by name, TLS passthrough by name. Then a plain HostSNI(`*`) router takes the plain
// connections over, as Traefik's does, while HTTPS keeps working.
TEST_F(TcpRouting, HttpAndTcpRoutersShareAnEntryPoint) {
  auto b = s_server(certs, "b");
  auto echo = tcp_peer();
  model::RoutingTable t = simple_table(1, upstream.url(), "Host(`h.example`)");
  t.certificates = {certs.exact};
  auto https = t.routers[0];
  https.name = "https@test";
  https.rule = "Host(`a.example`)";
  https.tls = true;
  t.routers.push_back(https);
  t.tcp_services = {tcp_service("b@test", b), tcp_service("echo@test", echo)};
  t.tcp_routers = {tcp_router("b@test", "HostSNI(`b.example`)", "b@test", "passthrough")};
  ASSERT_EQ(dp.apply(t), "ack");
  EXPECT_EQ(host_status(dp.port("web"), "h.example"), 200u);
  auto viah =
      tls_exchange(dp.port("web"), "a.example",
                   "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n", 1 << 20);
  EXPECT_EQ(viah.cn, "a.example");
  EXPECT_EQ(viah.received.rfind("HTTP/1.1 200", 0), 0u) << viah.received.substr(0, 200);
  EXPECT_EQ(tls_exchange(dp.port("web"), "b.example", "xy\n", 3).received, "yx\n");

  t.version = 2;
  t.tcp_routers.push_back(tcp_router("all@test", "HostSNI(`*`)", "echo@test"));
  ASSERT_EQ(dp.apply(t), "ack");
  const std::string get = "GET / HTTP/1.1\r\nHost: h.example\r\n\r\n";
  EXPECT_EQ(tcp_exchange(dp.port("web"), get), get + "<eof>\n");
  EXPECT_EQ(tls_exchange(dp.port("web"), "b.example", "xy\n", 3).received, "yx\n");
  auto still =
      tls_exchange(dp.port("web"), "a.example",
                   "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n", 1 << 20);
  EXPECT_EQ(still.received.rfind("HTTP/1.1 200", 0), 0u);
}

// PROXY headers from a trusted peer, v1 and v2: the client they name drives ClientIP, reaches
// servers in the header their service asks for (checked by the peer's own parser), and is the
// HTTP client (X-Forwarded-For). A malformed one is closed; one from a peer outside the
// entry point's list is refused, while plain connections there are served.
TEST_F(TcpRouting, ProxyProtocolInAndOut) {
  auto v1 = tcp_peer({"--proxy"});
  auto v2 = tcp_peer({"--proxy"});
  model::RoutingTable t = simple_table(1, upstream.url());
  t.tcp_services = {tcp_service("v2@test", v2, 2), tcp_service("v1@test", v1, 1)};
  t.tcp_routers = {tcp_router("docs@test", "ClientIP(`203.0.113.0/24`)", "v2@test", "", {"pp"}),
                   tcp_router("six@test", "ClientIP(`2001:db8::/32`)", "v1@test", "", {"pp"})};
  ASSERT_EQ(dp.apply(t), "ack");
  EXPECT_EQ(tcp_exchange(dp.port("pp"), "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\nhi"),
            "proxy v2 203.0.113.7 5555\nhi<eof>\n");
  // v2: signature, PROXY over TCP6, 36 bytes of addresses and ports.
  std::string v2header("\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x24", 16);
  unsigned char src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  unsigned char dst[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  v2header.append(reinterpret_cast<char*>(src), 16);
  v2header.append(reinterpret_cast<char*>(dst), 16);
  v2header += std::string("\x1f\x90\x01\xbb", 4);  // 8080 → 443
  EXPECT_EQ(tcp_exchange(dp.port("pp"), v2header + "v6"), "proxy v1 2001:db8::9 8080\nv6<eof>\n");
  // A client no TCP router matches is HTTP's, with the address the header named.
  const auto http = tcp_exchange(dp.port("pp"),
                                 "PROXY TCP4 198.51.100.9 127.0.0.1 4444 80\r\n"
                                 "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(http.rfind("HTTP/1.1 200", 0), 0u) << http;
  EXPECT_NE(http.find("198.51.100.9"), std::string::npos) << http;
  EXPECT_EQ(tcp_exchange(dp.port("pp"), "PROXY TCP4 bogus\r\nGET / HTTP/1.1\r\n\r\n"), "");
  EXPECT_EQ(tcp_exchange(dp.port("strict"),
                         "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n"
                         "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            "");
  EXPECT_EQ(host_status(dp.port("strict"), "x"), 200u);
  auto m =
      metrics_when(dp.admin_port(), "wharf_proxy_protocol_refused_total{entrypoint=\"strict\"}", 1);
  EXPECT_EQ(metric_sample(m, "wharf_proxy_protocol_refused_total{entrypoint=\"pp\"}"), 1);
}

// A drain (SIGTERM) stops new connections and lets a relayed one run to its end: bytes still
// flow both ways, and the drain is over as soon as the client closes.
TEST_F(TcpRouting, DrainLetsRelayedConnectionsFinish) {
  auto echo = tcp_peer();
  model::RoutingTable t;
  t.version = 1;
  t.tcp_services = {tcp_service("echo@test", echo)};
  t.tcp_routers = {tcp_router("ssh@test", "HostSNI(`*`)", "echo@test", "", {"ssh"})};
  ASSERT_EQ(dp.apply(t), "ack");
  const auto port = dp.port("ssh");
  int fd = connect_to(port);
  char buf[64];
  send_all(fd, "one");
  ASSERT_EQ(::recv(fd, buf, sizeof buf, 0), 3);
  const auto started = std::chrono::steady_clock::now();
  std::thread stopper([&] { dp.stop(); });
  EXPECT_TRUE(eventually([&] {
    int probe = connect_to(port, 200);
    if (probe >= 0) ::close(probe);
    return probe < 0;
  }));
  send_all(fd, "two");
  EXPECT_EQ(::recv(fd, buf, sizeof buf, 0), 3);  // EXPECT: the stopper thread is joined below.
  EXPECT_EQ(std::string(buf, 3), "two");
  ::shutdown(fd, SHUT_WR);
  EXPECT_EQ(read_until_close(fd), "<eof>\n");
  ::close(fd);
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);  // The drain deadline is 5 s.
}

// A drain closes a connection that has not said enough to be routed yet (here: nothing), as it
// closes an HTTP connection waiting for a request, instead of waiting out the deadline.
TEST_F(TcpRouting, DrainClosesConnectionsStillInTheirPreamble) {
  auto b = s_server(certs, "b");
  model::RoutingTable t;
  t.version = 1;
  t.tcp_services = {tcp_service("b@test", b)};
  t.tcp_routers = {tcp_router("b@test", "HostSNI(`b.example`)", "b@test", "passthrough")};
  ASSERT_EQ(dp.apply(t), "ack");
  int fd = connect_to(dp.port("web"));
  send_all(fd, client_hello("b.example").substr(0, 20));  // A ClientHello's first bytes.
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  dp.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);  // The deadline is 5 s.
  EXPECT_EQ(read_until_close(fd), "");
  ::close(fd);
}

// A ClientHello in one-byte pieces still reaches its server; one that stops halfway is closed
// at the header timeout; meanwhile other connections are served as usual.
TEST_F(TcpRouting, SlowAndStalledClientHellos) {
  auto b = s_server(certs, "b");
  model::RoutingTable t = simple_table(1, upstream.url());
  t.entrypoints.push_back({"web", {500, 180'000, 60'000}, {}});
  t.tcp_services = {tcp_service("b@test", b)};
  t.tcp_routers = {tcp_router("b@test", "HostSNI(`b.example`)", "b@test", "passthrough")};
  ASSERT_EQ(dp.apply(t), "ack");
  const auto hello = client_hello("b.example");
  ASSERT_GT(hello.size(), 100u);

  int stalled = connect_to(dp.port("web"));
  send_all(stalled, hello.substr(0, hello.size() / 2));
  const auto started = std::chrono::steady_clock::now();

  int slow = connect_to(dp.port("web"));
  for (char c : hello) {
    send_all(slow, std::string_view(&c, 1));
    std::this_thread::sleep_for(1ms);
  }
  unsigned char first = 0;
  EXPECT_EQ(::recv(slow, &first, 1, 0), 1);
  EXPECT_EQ(first, 0x16);  // The server's handshake record, relayed.
  ::close(slow);
  EXPECT_EQ(host_status(dp.port("web"), "x"), 200u);

  EXPECT_EQ(read_until_close(stalled), "");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 3s);
  ::close(stalled);
}

// A UDP client on its own 127.0.0.1 port: one session of the data plane.
class UdpClient {
 public:
  UdpClient() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~UdpClient() { ::close(fd_); }
  UdpClient(const UdpClient&) = delete;
  void send(std::uint16_t port, const std::string& msg) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  std::string receive() {
    char buf[2048];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("<nothing>");
  }
  std::string ask(std::uint16_t port, const std::string& msg) {
    send(port, msg);
    return receive();
  }

 private:
  int fd_ = -1;
};

// A static configuration with a UDP entry point whose sessions end after 300 ms idle.
std::string udp_static_file(const TempDir& dir) {
  const std::string path = dir.path() + "/traefik.yml";
  std::ofstream(path) << "entryPoints:\n  dns:\n    address: \"127.0.0.1:0/udp\"\n"
                         "    udp:\n      timeout: 300ms\n";
  return path;
}

class UdpRouting : public ::testing::Test {
 protected:
  model::RoutingTable to(const Peer& server, std::uint64_t version) {
    model::RoutingTable t;
    t.version = version;
    t.udp_services = {{"dns@test", {{server.address(), 1}}}};
    t.udp_routers = {{"dns@test", {"dns"}, "dns@test"}};
    return t;
  }
  TempDir dir;
  InProcessDataplane dp{2, {"--configfile", udp_static_file(dir)}};
  Peer one = tcp_peer({"--udp"});
};

// A hundred clients at once: each gets its own answer through its own session (the server
// sees a hundred source ports), and a client's next datagram goes through the same session.
TEST_F(UdpRouting, AHundredClientsAtOnceEachInItsOwnSession) {
  ASSERT_EQ(dp.apply(to(one, 1)), "ack");
  const auto port = dp.port("dns");
  ASSERT_NE(port, 0);
  std::vector<std::unique_ptr<UdpClient>> clients;
  for (int i = 0; i < 100; ++i) clients.push_back(std::make_unique<UdpClient>());
  for (int i = 0; i < 100; ++i) clients[i]->send(port, "client-" + std::to_string(i));
  std::set<std::string> source_ports;
  std::vector<std::string> first(100);
  for (int i = 0; i < 100; ++i) {
    first[i] = clients[i]->receive();
    const std::string want = "client-" + std::to_string(i) + " from ";
    ASSERT_EQ(first[i].rfind(want, 0), 0u) << first[i];
    source_ports.insert(first[i].substr(want.size()));
  }
  EXPECT_EQ(source_ports.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(clients[i]->ask(port, "client-" + std::to_string(i)), first[i]);
  }
  auto m = metrics_when(dp.admin_port(),
                        "wharf_udp_sessions_total{router=\"dns@test\",service=\"dns@test\"}", 100);
  EXPECT_EQ(metric_sample(m, "wharf_udp_sessions_total{router=\"dns@test\",service=\"dns@test\"}"),
            100);
}

// A new table routes new sessions; an open one keeps its server until it has been idle for
// the entry point's udp.timeout, and then a new session follows the new table.
TEST_F(UdpRouting, OpenSessionsOutliveTableSwapsAndEndWhenIdle) {
  auto two = tcp_peer({"--udp", "--name", "two"});
  ASSERT_EQ(dp.apply(to(one, 1)), "ack");
  const auto port = dp.port("dns");
  UdpClient a, b;
  const auto first = a.ask(port, "a");
  EXPECT_EQ(first.rfind("a from ", 0), 0u) << first;
  ASSERT_EQ(dp.apply(to(two, 2)), "ack");
  EXPECT_EQ(a.ask(port, "a"), first);  // Same session, same server.
  const auto other = b.ask(port, "b");
  EXPECT_NE(other.find(" two"), std::string::npos) << other;
  std::this_thread::sleep_for(700ms);
  const auto later = a.ask(port, "a");
  EXPECT_NE(later.find(" two"), std::string::npos) << later;
  auto m = metrics_when(dp.admin_port(),
                        "wharf_udp_sessions_total{router=\"dns@test\",service=\"dns@test\"}", 3);
  EXPECT_EQ(metric_sample(m, "wharf_udp_sessions_total{router=\"dns@test\",service=\"dns@test\"}"),
            3);
}

// Datagrams no router takes are dropped and counted, and nothing else is disturbed.
TEST_F(UdpRouting, DatagramsWithoutARouteAreDroppedAndCounted) {
  model::RoutingTable t;
  t.version = 1;
  ASSERT_EQ(dp.apply(t), "ack");
  UdpClient c;
  c.send(dp.port("dns"), "lost");
  auto m =
      metrics_when(dp.admin_port(),
                   "wharf_udp_dropped_datagrams_total{entrypoint=\"dns\",reason=\"no_route\"}", 1);
  EXPECT_EQ(
      metric_sample(m, "wharf_udp_dropped_datagrams_total{entrypoint=\"dns\",reason=\"no_route\"}"),
      1);
  ASSERT_EQ(dp.apply(to(one, 2)), "ack");
  EXPECT_EQ(c.ask(dp.port("dns"), "found").rfind("found from ", 0), 0u);
}

}  // namespace
}  // namespace wharf::test
