// HTTP/2 towards clients (RFC 9113) with real clients: curl over TLS (ALPN h2) and with prior
// knowledge in clear (h2c), nghttp and h2load, in front of the HTTP/1.1 test server.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "test_common/canned_server.hpp"
#include "test_common/certificates.hpp"
#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The number of bytes in `path` when they are the test server's pattern (pattern_byte), else
// minus one minus the offset of the first wrong byte.
std::int64_t pattern_mismatch(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  std::int64_t offset = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    for (std::streamsize i = 0; i < in.gcount(); ++i, ++offset) {
      if (static_cast<unsigned char>(buf[static_cast<std::size_t>(i)]) !=
          pattern_byte(static_cast<std::uint64_t>(offset))) {
        return -1 - offset;
      }
    }
  }
  return offset;
}

// One router for TLS and one for clear text, both to `up`, on every entrypoint.
model::RoutingTable h2_table(const Certificates& certs, const std::string& up) {
  model::RoutingTable t;
  t.version = 1;
  t.routers.push_back({"secure@test", "PathPrefix(`/`)", 0, {}, "app@test", true, {}, {}});
  t.routers.push_back({"plain@test", "PathPrefix(`/`)", 0, {}, "app@test", false, {}, {}});
  t.services.push_back(
      {"app@test", {{up, 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}});
  t.certificates = {certs.exact};
  return t;
}

class Http2Test : public ::testing::Test {
 protected:
  Http2Test() : dp{2, {"--access-log", log_path()}} {
    EXPECT_EQ(dp.apply(h2_table(certs, up.url())), "ack");
    port = std::to_string(dp.port());
  }
  std::string log_path() { return logs.path() + "/access.log"; }
  // curl with `args`, a.example resolving to the data plane; -i shows the response head.
  CommandResult curl(std::vector<std::string> args) {
    std::vector<std::string> argv{
        "curl",       "-sS", "-k",        "-i",
        "--max-time", "60",  "--resolve", "a.example:" + port + ":127.0.0.1"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
  std::string https(const std::string& path) { return "https://a.example:" + port + path; }
  std::string http(const std::string& path) { return "http://a.example:" + port + path; }

  TempDir logs;
  Certificates certs;
  UpstreamServer up{"app"};
  InProcessDataplane dp;
  std::string port;
};

TEST_F(Http2Test, CurlGetsHttp2OverTlsAndWithPriorKnowledgeFromAnHttp11Server) {
  auto tls = curl({"--http2", https("/hello?x=1")});
  ASSERT_EQ(tls.status, 0) << tls.out;
  EXPECT_TRUE(tls.out.starts_with("HTTP/2 200")) << tls.out;
  EXPECT_TRUE(contains(tls.out, "x-upstream: app")) << tls.out;
  // The server got HTTP/1.1 with a Host made from :authority and the forwarding fields.
  EXPECT_TRUE(contains(tls.out, "GET /hello?x=1\n")) << tls.out;
  EXPECT_TRUE(contains(tls.out, "Host: a.example:" + port + "\n")) << tls.out;
  EXPECT_TRUE(contains(tls.out, "X-Forwarded-Proto: https\n")) << tls.out;
  EXPECT_TRUE(contains(tls.out, "X-Forwarded-For: 127.0.0.1\n")) << tls.out;

  auto h2c = curl({"--http2-prior-knowledge", http("/plain")});
  ASSERT_EQ(h2c.status, 0) << h2c.out;
  EXPECT_TRUE(h2c.out.starts_with("HTTP/2 200")) << h2c.out;
  EXPECT_TRUE(contains(h2c.out, "X-Forwarded-Proto: http\n")) << h2c.out;

  // Without prior knowledge, clear text stays HTTP/1.1 on the same port.
  auto h1 = curl({http("/plain")});
  EXPECT_TRUE(h1.out.starts_with("HTTP/1.1 200")) << h1.out;

  // The protocol is a metrics label and in the access log.
  const std::string series =
      "wharf_requests_total{code=\"200\",entrypoint=\"web\",method=\"GET\",router=\"secure@test\","
      "service=\"app@test\",protocol=\"2\"}";
  auto metrics = metrics_when(dp.admin_port(), series, 1);
  EXPECT_EQ(metric_sample(metrics, series), 1) << metrics;
  // The admin API (and the dashboard, which shows it) counts each router's requests by protocol.
  const auto api = HttpClient(dp.admin_port()).request("GET", "/api/http/routers").body;
  EXPECT_TRUE(contains(api, "\"name\":\"plain@test\"")) << api;
  EXPECT_TRUE(contains(api, "\"protocols\":{\"1.1\":1,\"2\":1}")) << api;
  dp.dataplane().access_log()->flush();
  const auto log = read_file(log_path());
  EXPECT_TRUE(contains(log, "\"GET /hello?x=1 HTTP/2.0\" 200")) << log;
  EXPECT_TRUE(contains(log, "\"GET /plain HTTP/1.1\" 200")) << log;
}

TEST_F(Http2Test, BodiesStreamBothWaysWholeAndInOrder) {
  // 48 MiB up with a length, 48 MiB up without one (the server gets it chunked), 48 MiB down:
  // far more than any window or buffer on the way, so flow control moves every byte.
  const std::size_t size = 48u << 20;
  TempDir dir;
  const std::string file = dir.path() + "/body";
  {
    std::ofstream out(file, std::ios::binary);
    std::string chunk(1 << 20, 'w');
    for (std::size_t i = 0; i < size / chunk.size(); ++i) out << chunk;
  }
  auto sized = curl({"--http2-prior-knowledge", "--data-binary", "@" + file, http("/upload")});
  EXPECT_TRUE(contains(sized.out, "received " + std::to_string(size) + " ")) << sized.out;
  auto unsized =
      curl({"--http2", "-T", file, "-H", "Transfer-Encoding: chunked", https("/upload")});
  EXPECT_TRUE(unsized.out.starts_with("HTTP/2 200")) << unsized.out;
  EXPECT_TRUE(contains(unsized.out, "received " + std::to_string(size) + " ")) << unsized.out;
  for (const std::string query : {"", "?chunked=1"}) {
    const std::string got = dir.path() + "/down";
    auto down = run_command({"curl", "-sS", "-k", "--http2", "--resolve",
                             "a.example:" + port + ":127.0.0.1", "-o", got,
                             https("/bytes/" + std::to_string(size) + query)});
    ASSERT_EQ(down.status, 0) << down.out;
    EXPECT_EQ(pattern_mismatch(got), static_cast<std::int64_t>(size)) << query;
  }
}

TEST_F(Http2Test, HeadNoContentAndNotModifiedCarryNoBody) {
  auto head = curl({"--http2", "-I", https("/bytes/100")});
  EXPECT_TRUE(head.out.starts_with("HTTP/2 200")) << head.out;
  EXPECT_TRUE(contains(head.out, "content-length: 100")) << head.out;
  for (const char* status : {"204", "304"}) {
    // nghttp shows the frames: the HEADERS that answer end the stream, no DATA follows.
    auto r = run_command({"nghttp", "-v", "http://127.0.0.1:" + port + "/status/" + status});
    EXPECT_TRUE(contains(r.out, std::string(") :status: ") + status)) << r.out;
    // Its HEADERS frame has END_STREAM and END_HEADERS (flags 0x05).
    const auto headers = r.out.find("recv HEADERS frame");
    ASSERT_NE(headers, std::string::npos) << r.out;
    EXPECT_TRUE(contains(r.out.substr(headers, r.out.find('\n', headers) - headers), "flags=0x05"))
        << r.out;
    EXPECT_FALSE(contains(r.out, "recv DATA frame")) << r.out;
  }
}

TEST_F(Http2Test, ThousandStreamsAtOnceOverTenConnections) {
  // h2load: 10 connections with 100 streams open on each, every request waiting 200 ms at the
  // server: all 1,000 are in flight together.
  auto r = run_command(
      {"h2load", "-n", "1000", "-c", "10", "-m", "100", "http://127.0.0.1:" + port + "/slow/200"});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "requests: 1000 total, 1000 started, 1000 done, 1000 succeeded"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "status codes: 1000 2xx")) << r.out;
}

// nghttpd (Debian's nghttp2-server) speaks nothing but HTTP/2: h2c with prior knowledge, or TLS
// whose ALPN offers h2 alone. Every request it answers went over HTTP/2.
class Nghttpd {
 public:
  Nghttpd(const std::string& root, const Certificates* certs = nullptr)
      : port_(free_port()), process_(argv(root, certs)) {
    EXPECT_TRUE(wait_until_listening(port_)) << process_.log();
  }
  std::uint16_t port() const { return port_; }

 private:
  std::vector<std::string> argv(const std::string& root, const Certificates* certs) {
    std::vector<std::string> a{"nghttpd", "-a", "127.0.0.1", "-d", root};
    if (!certs) a.push_back("--no-tls");
    a.push_back(std::to_string(port_));
    if (certs) {
      a.push_back(certs->path("exact.key"));
      a.push_back(certs->path("exact.crt"));
    }
    return a;
  }
  std::uint16_t port_;
  ChildProcess process_;
};

TEST(Http2Upstream, H2cAndHttpsServersThatSpeakOnlyHttp2ServeClientsOfEitherProtocol) {
  Certificates certs;
  TempDir www;
  {
    std::ofstream(www.path() + "/index.html") << "hello from nghttpd\n";
    std::ofstream big(www.path() + "/big", std::ios::binary);
    for (std::uint64_t i = 0; i < (4u << 20); ++i) big.put(static_cast<char>(pattern_byte(i)));
  }
  Nghttpd h2c(www.path());
  Nghttpd h2(www.path(), &certs);
  model::RoutingTable t;
  t.version = 1;
  t.routers.push_back({"h2c@test", "Host(`h2c.test`)", 0, {}, "h2c@test", false, {}, {}});
  t.routers.push_back({"h2@test", "Host(`h2.test`)", 0, {}, "h2@test", false, {}, {}});
  t.services.push_back({"h2c@test",
                        {{"h2c://127.0.0.1:" + std::to_string(h2c.port()), 1}},
                        true,
                        {},
                        "wrr",
                        std::nullopt,
                        std::nullopt,
                        {},
                        {}});
  t.services.push_back({"h2@test",
                        {{"https://127.0.0.1:" + std::to_string(h2.port()), 1}},
                        true,
                        {},
                        "wrr",
                        std::nullopt,
                        std::nullopt,
                        "self-signed@test",
                        {}});
  t.transports.push_back({"self-signed@test", "", true, {}, {}, {}, false});
  InProcessDataplane dp;
  ASSERT_EQ(dp.apply(t), "ack");
  const std::string port = std::to_string(dp.port());
  TempDir out;
  for (const std::string host : {"h2c.test", "h2.test"}) {
    for (const std::string client : {"--http1.1", "--http2-prior-knowledge"}) {
      auto r = run_command({"curl", "-sS", "-i", client, "-H", "Host: " + host,
                            "http://127.0.0.1:" + port + "/index.html"});
      EXPECT_TRUE(contains(r.out, " 200")) << host << client << r.out;
      EXPECT_TRUE(contains(r.out, "hello from nghttpd")) << host << client << r.out;
      const std::string file = out.path() + "/big";
      auto big = run_command({"curl", "-sS", client, "-H", "Host: " + host, "-o", file,
                              "http://127.0.0.1:" + port + "/big"});
      EXPECT_EQ(pattern_mismatch(file), 4 << 20) << host << client << big.out;
    }
  }
  // With disableHTTP2 the handshake offers http/1.1 alone, which this server refuses: 502.
  t.version = 2;
  t.transports[0].disable_http2 = true;
  ASSERT_EQ(dp.apply(t), "ack");
  HttpClient c(dp.port());
  EXPECT_EQ(c.request("GET", "/index.html", {{"Host", "h2.test"}}).status, 502u);
}

// What tests/peers/h2_frames.py saw, one event per line.
std::string frames(const std::string& scenario, std::uint16_t port, const std::string& arg = {}) {
  return run_command({"/usr/bin/python3", std::string(WHARF_PEERS_DIR) + "/h2_frames.py", scenario,
                      std::to_string(port), arg})
      .out;
}

TEST(Http2Lifecycle, AnHttp2ConnectionAndAWebsocketBothSurviveFiftyTableSwaps) {
  UpstreamServer up{"app"};
  InProcessDataplane dp{2};
  ASSERT_EQ(dp.apply(simple_table(1, up.url())), "ack");
  // The HTTP/2 client: a slow stream stays open while fifty more go one after another on the
  // same connection, as the tables change under them.
  auto h2 = std::async(std::launch::async, [&] { return frames("swaps", dp.port(), "50"); });
  asio::io_context io;
  beast::websocket::stream<asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), dp.port()});
  ws.handshake("ws.test", "/ws");
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(dp.apply(simple_table(2 + i, up.url(),
                                    i % 2 ? "PathPrefix(`/`)"
                                          : "PathPrefix(`/n`) || Path(`/ws`) "
                                            "|| PathPrefix(`/slow`)")),
              "ack");
    std::string msg = "message " + std::to_string(i);
    ws.write(asio::buffer(msg));
    beast::flat_buffer buf;
    ws.read(buf);
    ASSERT_EQ(beast::buffers_to_string(buf.data()), msg);
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  ws.close(beast::websocket::close_code::normal);
  const auto out = h2.get();
  EXPECT_TRUE(contains(out, "status 1 200")) << out;
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(contains(out, "status " + std::to_string(3 + 2 * i) + " 200")) << i << out;
  }
  EXPECT_FALSE(contains(out, "goaway")) << out;
  EXPECT_FALSE(contains(out, "rst")) << out;
}

TEST(Http2Lifecycle, SigtermSaysGoawayAndFinishesTheStreamsInFlight) {
  UpstreamServer up{"app"};
  DataplaneProcess dp;
  ASSERT_EQ(dp.apply(simple_table(1, up.url())), "ack");
  auto client = std::async(std::launch::async, [&] { return frames("drain", dp.port()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(dp.terminate(), 0) << dp.log();
  const auto out = client.get();
  // GOAWAY with NO_ERROR naming stream 1 as the last one taken; stream 1 then completes.
  EXPECT_TRUE(contains(out, "goaway 0 1")) << out;
  EXPECT_TRUE(contains(out, "status 1 200")) << out;
  EXPECT_TRUE(contains(out, "data 1 10")) << out;  // "slow done\n"
  EXPECT_TRUE(contains(out, "closed")) << out;
}

// Trailer fields cross between the protocols both ways: an HTTP/2 request's trailers reach an
// HTTP/1.1 server as a chunked body's, and an HTTP/1.1 server's chunked trailers reach an
// HTTP/2 client as a HEADERS frame that ends the stream (hop-by-hop fields left out).
TEST(Http2Messages, TrailersCrossBetweenHttp2AndHttp11BothWays) {
  UpstreamServer up{"app"};
  CannedServer canned(
      "HTTP/1.1 200 OK\r\nTrailer: X-Checksum\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nConnection: X-Hop\r\nX-Hop: 1\r\n\r\n");
  InProcessDataplane dp{1};
  auto t = simple_table(1, up.url());
  t.routers.push_back({"canned@test", "Path(`/canned`)", 100, {}, "canned@test", false, {}, {}});
  t.services.push_back(
      {"canned@test", {{canned.url(), 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}});
  ASSERT_EQ(dp.apply(t), "ack");
  const auto up_out = frames("trailers", dp.port(), "/echo");
  EXPECT_TRUE(contains(up_out, "status 1 200")) << up_out;
  EXPECT_TRUE(contains(up_out, "Transfer-Encoding: chunked\\n")) << up_out;
  EXPECT_TRUE(contains(up_out, "x-checksum: abc\\n'")) << up_out;  // The echo ends with it.
  const auto down_out = frames("get", dp.port(), "/canned");
  EXPECT_TRUE(contains(down_out, "status 1 200")) << down_out;
  EXPECT_TRUE(contains(down_out, "body 1 'hello'")) << down_out;
  EXPECT_TRUE(contains(down_out, "trailer 1 x-checksum: abc")) << down_out;
  EXPECT_FALSE(contains(down_out, "x-hop")) << down_out;
}

// curl over HTTP/2 asks for 100-continue before a large body: the data plane answers it once
// the server is reached, as it does for HTTP/1.1.
TEST_F(Http2Test, ExpectContinueGetsAnInterim100) {
  TempDir dir;
  const std::string file = dir.path() + "/body";
  std::ofstream(file) << std::string(2 << 20, 'c');
  auto r = curl({"--http2-prior-knowledge", "-v", "-H", "Expect: 100-continue", "--data-binary",
                 "@" + file, http("/upload")});
  EXPECT_TRUE(contains(r.out, "< HTTP/2 100")) << r.out;
  EXPECT_TRUE(contains(r.out, "received " + std::to_string(2 << 20) + " ")) << r.out;
}

TEST(Http2Off, AnEntrypointWithHttp2OffSpeaksHttp11Only) {
  Certificates certs;
  UpstreamServer up{"app"};
  InProcessDataplane dp{1, {"--http2-disable", "web"}};
  ASSERT_EQ(dp.apply(h2_table(certs, up.url())), "ack");
  const std::string port = std::to_string(dp.port());
  auto tls = run_command({"curl", "-sS", "-k", "-i", "--http2", "--resolve",
                          "a.example:" + port + ":127.0.0.1", "https://a.example:" + port + "/"});
  EXPECT_TRUE(tls.out.starts_with("HTTP/1.1 200")) << tls.out;
  // The preface is then a request Wharf refuses, not a connection it serves in HTTP/2.
  auto h2c = run_command(
      {"curl", "-sS", "-i", "--http2-prior-knowledge", "http://127.0.0.1:" + port + "/"});
  EXPECT_FALSE(contains(h2c.out, "HTTP/2 200")) << h2c.out;
}

}  // namespace
}  // namespace wharf::test
