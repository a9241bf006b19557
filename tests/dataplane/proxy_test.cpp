// End-to-end behaviour of the proxy: a real data plane (in process), a real upstream server and
// a real client, all on 127.0.0.1 with ports picked by the kernel.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The data plane's descriptor for client `c`'s connection to `port` (the data plane runs in this
// process): the socket in /proc/self/fd whose ends are the client's, the other way round.
std::optional<int> dataplane_side(const HttpClient& c, std::uint16_t port) {
  sockaddr_in client{};
  socklen_t len = sizeof client;
  if (::getsockname(c.fd(), reinterpret_cast<sockaddr*>(&client), &len) != 0) return std::nullopt;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    sockaddr_in local{}, remote{};
    len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    len = sizeof remote;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &len) != 0) continue;
    if (local.sin_family == AF_INET && ntohs(local.sin_port) == port &&
        remote.sin_port == client.sin_port)
      return fd;
  }
  return std::nullopt;
}

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(dp.apply(simple_table(1, upstream.url())), "ack"); }
  UpstreamServer upstream{"a"};
  InProcessDataplane dp{1};
};

TEST_F(ProxyTest, ForwardsRequestAndReplacesUntrustedForwardedHeaders) {
  HttpClient c(dp.port());
  auto r = c.request("GET", "/hello?x=1",
                     {{"Host", "app.example:8443"},
                      {"X-Forwarded-For", "6.6.6.6"},
                      {"X-Real-IP", "6.6.6.6"},
                      {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["x-upstream"], "a");
  EXPECT_TRUE(contains(r.body, "GET /hello?x=1\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "Host: app.example:8443\n"));
  EXPECT_TRUE(contains(r.body, "X-Forwarded-For: 127.0.0.1\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Real-IP: 127.0.0.1\n"));
  EXPECT_TRUE(contains(r.body, "X-Forwarded-Proto: http\n"));
  EXPECT_TRUE(contains(r.body, "X-Forwarded-Host: app.example:8443\n"));
  EXPECT_TRUE(contains(r.body, "X-Forwarded-Port: 8443\n"));
  EXPECT_FALSE(contains(r.body, "6.6.6.6"));
}

TEST(ProxyTrust, TrustedProxyHeadersAreBelievedAndDriveClientIP) {
  UpstreamServer upstream{"a"};
  InProcessDataplane dp{1, {"--trusted-proxies", "127.0.0.0/8,10.0.0.0/8"}};
  auto t = simple_table(1, upstream.url(), "ClientIP(`203.0.113.0/24`)");
  ASSERT_EQ(dp.apply(t), "ack");
  HttpClient c(dp.port());
  auto r = c.request(
      "GET", "/", {{"X-Forwarded-For", "203.0.113.9, 10.1.2.3"}, {"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(contains(r.body, "X-Forwarded-For: 203.0.113.9, 10.1.2.3, 127.0.0.1\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Real-IP: 203.0.113.9\n"));
  EXPECT_TRUE(contains(r.body, "X-Forwarded-Proto: https\n"));
  // Repeated X-Forwarded-For lines join in order; names in any case; of the others the first.
  HttpClient raw(dp.port());  // Raw, for repeated lines in this order.
  raw.send_raw(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9\r\n"
      "x-forwarded-host: public.example\r\nX-Forwarded-For: 10.1.2.3\r\n"
      "X-FORWARDED-PORT: 443\r\nX-Forwarded-Port: 80\r\n\r\n");
  auto split = raw.read_response();
  ASSERT_EQ(split.status, 200u);
  EXPECT_TRUE(contains(split.body, "X-Forwarded-For: 203.0.113.9, 10.1.2.3, 127.0.0.1\n"))
      << split.body;
  EXPECT_TRUE(contains(split.body, "X-Forwarded-Host: public.example\n")) << split.body;
  EXPECT_TRUE(contains(split.body, "X-Forwarded-Port: 443\n")) << split.body;
  EXPECT_FALSE(contains(split.body, "x-forwarded-host")) << split.body;
  // The same client without a trusted chain is not in the range.
  auto other = c.request("GET", "/", {{"X-Forwarded-For", "198.51.100.1"}});
  EXPECT_EQ(other.status, 404u);
}

TEST_F(ProxyTest, RemovesHopByHopHeadersAndThoseNamedInConnection) {
  HttpClient c(dp.port());
  auto r = c.request("GET", "/",
                     {{"Connection", "keep-alive, X-Secret"},
                      {"X-Secret", "1"},
                      {"Keep-Alive", "timeout=5"},
                      {"Proxy-Connection", "keep-alive"},
                      {"TE", "trailers"},
                      {"X-Kept", "yes"}});
  ASSERT_EQ(r.status, 200u);
  for (auto h : {"X-Secret", "Keep-Alive", "Proxy-Connection", "TE:", "Connection"}) {
    EXPECT_FALSE(contains(r.body, h)) << h << " in " << r.body;
  }
  EXPECT_TRUE(contains(r.body, "X-Kept: yes"));
}

TEST_F(ProxyTest, KeepAliveAndPipelinedRequestsAnsweredInOrder) {
  HttpClient c(dp.port());
  c.send_raw(
      "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "GET /three HTTP/1.1\r\nHost: a\r\n\r\n");
  auto r1 = c.read_response();
  auto r2 = c.read_response();
  auto r3 = c.read_response();
  EXPECT_TRUE(contains(r1.body, "GET /one")) << r1.body;
  EXPECT_EQ(r2.body, "received 5 sum 532\n");
  EXPECT_TRUE(contains(r3.body, "GET /three")) << r3.body;
  EXPECT_FALSE(r3.closed);
  // Fifty more requests on the same client connection reuse one upstream connection.
  for (int i = 0; i < 50; ++i) ASSERT_EQ(c.request("GET", "/again").status, 200u);
  EXPECT_EQ(upstream.connections_accepted(), 1u);
}

TEST_F(ProxyTest, HeadNoContentAndNotModifiedHaveNoBody) {
  HttpClient c(dp.port());
  auto head = c.request("HEAD", "/bytes/1000");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.headers["content-length"], "1000");
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(c.request("GET", "/status/204").status, 204u);
  EXPECT_EQ(c.request("GET", "/status/304").status, 304u);
  // If any of those had sent a body, this response would be garbage.
  auto after = c.request("GET", "/bytes/10");
  EXPECT_EQ(after.status, 200u);
  EXPECT_EQ(after.body, "abcdefghij");
}

TEST_F(ProxyTest, ChunkedRequestBodyIsStreamedUpstream) {
  HttpClient c(dp.port());
  c.send_raw(
      "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.body.starts_with("received 7 ")) << r.body;
}

TEST_F(ProxyTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  HttpClient c(dp.port());
  c.send_raw(
      "PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read_response();
  EXPECT_EQ(interim.status, 100u);
  c.send_raw("data");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.body.starts_with("received 4 ")) << r.body;
}

TEST_F(ProxyTest, CloseDelimitedUpstreamBodyIsRechunkedAndKeepsTheClient) {
  HttpClient c(dp.port());
  auto r = c.request("GET", "/close");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  EXPECT_EQ(r.body, "close-delimited body\n");
  EXPECT_FALSE(r.closed);
  EXPECT_EQ(c.request("GET", "/x").status, 200u);
}

TEST_F(ProxyTest, ChunkedDownloadStreams) {
  HttpClient c(dp.port());
  auto r = c.request("GET", "/bytes/200000?chunked=1");
  EXPECT_EQ(r.status, 200u);
  ASSERT_EQ(r.body.size(), 200000u);
  for (std::size_t i = 0; i < r.body.size(); i += 9973) {
    ASSERT_EQ(static_cast<unsigned char>(r.body[i]), pattern_byte(i));
  }
}

// The data plane sets its client connections' options on the listener, where Linux copies them
// from, and accepts them non-blocking and close-on-exec in the same call (accept4): none of it
// costs a system call per connection. This checks that the accepted connection has all four.
TEST_F(ProxyTest, AcceptedConnectionsInheritTheirOptions) {
  HttpClient c(dp.port());
  EXPECT_EQ(c.request("GET", "/hello").status, 200u);  // Accepted and served by now.
  auto fd = dataplane_side(c, dp.port());
  ASSERT_TRUE(fd) << "no data plane descriptor for the client connection";
  int value = 0;
  socklen_t len = sizeof value;
  ASSERT_EQ(::getsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
  EXPECT_NE(value, 0);
  ASSERT_EQ(::getsockopt(*fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &value, &len), 0);
  EXPECT_EQ(value, 128 * 1024);
  EXPECT_TRUE(::fcntl(*fd, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(*fd, F_GETFD) & FD_CLOEXEC);
}

// A client that stops reading holds little in the kernel: the data plane stops writing once
// 128 KiB wait unsent for it (TCP_NOTSENT_LOWAT) and the rest of the body waits upstream. The
// kernel's own limit was the send buffer's autotuned size, 4 MiB a connection with Debian's
// defaults (4,079,616 bytes queued here without the option).
TEST_F(ProxyTest, AClientThatStopsReadingHoldsLittleInTheKernel) {
  HttpClient c(dp.port());
  c.send_raw("GET /bytes/100000000 HTTP/1.1\r\nHost: a\r\n\r\n");
  // What the kernel holds to send on the data plane's side, unacknowledged and unsent
  // (SIOCOUTQ). It grows while the client's window fills, then stays: wait until it has not
  // changed for half a second.
  std::optional<int> fd;
  std::optional<std::uint64_t> queued, last;
  int steady = 0;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       steady < 5 && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!fd) fd = dataplane_side(c, dp.port());
    int bytes = 0;
    queued.reset();
    if (fd && ::ioctl(*fd, SIOCOUTQ, &bytes) == 0) queued = bytes;
    steady = queued && queued == last ? steady + 1 : 0;
    last = queued;
  }
  ASSERT_TRUE(queued) << "no data plane descriptor for the client connection";
  EXPECT_GT(*queued, 0u);
  EXPECT_LT(*queued, 1u << 20);
}

TEST(ProxyLocalReplies, NoRouteNoServerRefusedAndTimeout) {
  UpstreamServer upstream{"a"};
  InProcessDataplane dp{1};
  model::RoutingTable t;
  t.version = 3;
  t.routers.push_back({"empty@t", "Host(`empty.test`)", 0, {}, "empty@t", false, {}, {}});
  t.routers.push_back({"down@t", "Host(`down.test`)", 0, {}, "down@t", false, {}, {}});
  t.routers.push_back({"slow@t", "Host(`slow.test`)", 0, {}, "slow@t", false, {}, {}});
  model::Service empty{"empty@t", {}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}};
  // Port 1 on loopback: nothing listens there, so the connection is refused.
  model::Service down{
      "down@t", {{"http://127.0.0.1:1", 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}};
  model::Service slow{"slow@t",     {{upstream.url(), 1}}, true, {}, "wrr",
                      std::nullopt, std::nullopt,          {},   {}};
  slow.timeouts.response_header_ms = 200;
  t.services = {empty, down, slow};
  ASSERT_EQ(dp.apply(t), "ack");
  HttpClient c(dp.port());
  auto r = c.request("GET", "/", {{"Host", "nothing.test"}});
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, "404 Not Found\n");
  r = c.request("GET", "/", {{"Host", "empty.test"}});
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.headers["retry-after"], "10");
  r = c.request("GET", "/", {{"Host", "down.test"}});
  EXPECT_EQ(r.status, 502u);
  r = c.request("GET", "/slow/3000", {{"Host", "slow.test"}});
  EXPECT_EQ(r.status, 504u);
  EXPECT_FALSE(r.closed);  // Local replies keep the client connection when framing is safe.
  EXPECT_EQ(c.request("HEAD", "/", {{"Host", "nothing.test"}}).body, "");
}

TEST(ProxyRouting, HostsWildcardsAndPrioritiesPickTheRightRouter) {
  UpstreamServer a{"a"}, b{"b"}, c{"c"}, d{"d"};
  InProcessDataplane dp{1};
  model::RoutingTable t;
  t.version = 1;
  t.routers = {
      {"exact@t", "Host(`app.test`)", 0, {}, "a@t", false, {}, {}},
      {"api@t", "Host(`app.test`) && PathPrefix(`/api`)", 0, {}, "b@t", false, {}, {}},
      {"wild@t", "Host(`*.app.test`)", 0, {}, "c@t", false, {}, {}},
      {"any@t", "PathPrefix(`/`)", 1, {}, "d@t", false, {}, {}},
      {"urgent@t", "Path(`/urgent`)", 1000, {}, "d@t", false, {}, {}},
      {"other-ep@t", "Host(`ep.test`)", 0, {"websecure"}, "a@t", false, {}, {}},
  };
  t.services = {{"a@t", {{a.url(), 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}},
                {"b@t", {{b.url(), 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}},
                {"c@t", {{c.url(), 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}},
                {"d@t", {{d.url(), 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}}};
  ASSERT_EQ(dp.apply(t), "ack");
  HttpClient cl(dp.port());
  auto who = [&](const std::string& host, const std::string& path) {
    return cl.request("GET", path, {{"Host", host}}).headers["x-upstream"];
  };
  EXPECT_EQ(who("app.test", "/"), "a");
  EXPECT_EQ(who("APP.test:80", "/api/v1"), "b");  // Longer rule, higher default priority.
  EXPECT_EQ(who("x.app.test", "/"), "c");
  EXPECT_EQ(who("y.x.app.test", "/"), "d");    // A wildcard covers one label only.
  EXPECT_EQ(who("app.test", "/urgent"), "d");  // Explicit priority beats host routers.
  EXPECT_EQ(who("ep.test", "/"), "d");         // That router is on another entrypoint.
}

TEST(ProxyControl, BadTablesAreRefusedAndThePreviousOneKeepsServing) {
  UpstreamServer a{"a"}, b{"b"};
  InProcessDataplane dp{2};
  ASSERT_EQ(dp.apply(simple_table(1, a.url())), "ack");
  HttpClient c(dp.port());
  EXPECT_EQ(c.request("GET", "/").headers["x-upstream"], "a");
  ASSERT_EQ(dp.apply(simple_table(2, b.url())), "ack");
  EXPECT_EQ(c.request("GET", "/").headers["x-upstream"], "b");
  auto bad = simple_table(3, a.url(), "Host(`x`) && PathPrefix(`/api`");
  EXPECT_EQ(dp.apply(bad),
            "nack: router 'app@test': column 31: expected ',' or ')', found end of rule");
  auto dangling = simple_table(4, a.url());
  dangling.routers[0].service = "nope@test";
  EXPECT_EQ(dp.apply(dangling),
            "nack: router 'app@test' uses service 'nope@test', which is not defined");
  EXPECT_EQ(c.request("GET", "/").headers["x-upstream"], "b");
  // The socket is not world-accessible.
  struct stat st {};
  ASSERT_EQ(::stat(dp.control_socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST(ProxyControl, LastTableIsPersistedAndServedAtStartCorruptStateIsIgnored) {
  UpstreamServer a{"a"};
  TempDir dir;
  std::string state = dir.path() + "/state";
  {
    InProcessDataplane dp{1, {"--state-dir", state}};
    ASSERT_EQ(dp.apply(simple_table(7, a.url())), "ack");
  }
  struct stat st {};
  ASSERT_EQ(::stat((state + "/table.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    InProcessDataplane dp{1, {"--state-dir", state}};  // No controller connects.
    HttpClient c(dp.port());
    EXPECT_EQ(c.request("GET", "/").headers["x-upstream"], "a");
  }
  {
    FILE* f = std::fopen((state + "/table.json").c_str(), "w");
    std::fputs("{\"routers\": [", f);
    std::fclose(f);
    InProcessDataplane dp{1, {"--state-dir", state}};
    HttpClient c(dp.port());
    EXPECT_EQ(c.request("GET", "/").status, 404u);
    ASSERT_EQ(dp.apply(simple_table(8, a.url())), "ack");
    EXPECT_EQ(c.request("GET", "/").status, 200u);
  }
}

}  // namespace
}  // namespace wharf::test
