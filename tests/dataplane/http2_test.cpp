// HTTP/2 towards clients (RFC 9113) with real clients: curl over TLS (ALPN h2) and with prior
// knowledge in clear (h2c), nghttp and h2load, in front of the HTTP/1.1 test server.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "test_common/certificates.hpp"
#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

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
  t.services.push_back({"app@test", {{up, 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}});
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
    std::vector<std::string> argv{"curl", "-sS", "-k", "-i", "--max-time", "60", "--resolve",
                                  "a.example:" + port + ":127.0.0.1"};
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
  auto unsized = curl({"--http2", "-T", file, "-H", "Transfer-Encoding: chunked",
                       https("/upload")});
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
    EXPECT_TRUE(contains(r.out.substr(headers, r.out.find('\n', headers) - headers),
                         "flags=0x05"))
        << r.out;
    EXPECT_FALSE(contains(r.out, "recv DATA frame")) << r.out;
  }
}

TEST_F(Http2Test, ThousandStreamsAtOnceOverTenConnections) {
  // h2load: 10 connections with 100 streams open on each, every request waiting 200 ms at the
  // server: all 1,000 are in flight together.
  auto r = run_command({"h2load", "-n", "1000", "-c", "10", "-m", "100",
                        "http://127.0.0.1:" + port + "/slow/200"});
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
  t.services.push_back({"h2c@test", {{"h2c://127.0.0.1:" + std::to_string(h2c.port()), 1}}, true,
                        {}, "wrr", std::nullopt, std::nullopt, {}});
  t.services.push_back({"h2@test", {{"https://127.0.0.1:" + std::to_string(h2.port()), 1}}, true,
                        {}, "wrr", std::nullopt, std::nullopt, "self-signed@test"});
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

TEST(Http2Off, AnEntrypointWithHttp2OffSpeaksHttp11Only) {
  Certificates certs;
  UpstreamServer up{"app"};
  InProcessDataplane dp{1, {"--http2-disable", "web"}};
  ASSERT_EQ(dp.apply(h2_table(certs, up.url())), "ack");
  const std::string port = std::to_string(dp.port());
  auto tls = run_command({"curl", "-sS", "-k", "-i", "--http2", "--resolve",
                          "a.example:" + port + ":127.0.0.1",
                          "https://a.example:" + port + "/"});
  EXPECT_TRUE(tls.out.starts_with("HTTP/1.1 200")) << tls.out;
  // The preface is then a request Wharf refuses, not a connection it serves in HTTP/2.
  auto h2c = run_command(
      {"curl", "-sS", "-i", "--http2-prior-knowledge", "http://127.0.0.1:" + port + "/"});
  EXPECT_FALSE(contains(h2c.out, "HTTP/2 200")) << h2c.out;
}

}  // namespace
}  // namespace wharf::test
