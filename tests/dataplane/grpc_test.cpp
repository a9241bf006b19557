// gRPC through the data plane with a real gRPC client and server (Debian's python3-grpcio,
// tests/peers/grpc_peer.py): every kind of call, over TLS and h2c, statuses kept exact.
#include <gtest/gtest.h>

#include "test_common/certificates.hpp"
#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/grpc_peer.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

model::RoutingTable grpc_table(const Certificates& certs, const std::string& url) {
  model::RoutingTable t;
  t.version = 1;
  t.routers.push_back(
      {"grpc-tls@test", "PathPrefix(`/wharf.Test/`)", 0, {}, "grpc@test", true, {}, {}});
  t.routers.push_back(
      {"grpc@test", "PathPrefix(`/wharf.Test/`)", 0, {}, "grpc@test", false, {}, {}});
  t.services.push_back(
      {"grpc@test", {{url, 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}});
  t.certificates = {certs.exact};
  return t;
}

class GrpcTest : public ::testing::Test {
 protected:
  GrpcTest() {
    EXPECT_EQ(dp.apply(grpc_table(certs, server.url())), "ack");
    target = "127.0.0.1:" + std::to_string(dp.port());
  }
  std::vector<std::string> tls() { return {"--tls", certs.path("exact.crt"), "a.example"}; }

  Certificates certs;
  GrpcServer server;
  InProcessDataplane dp;
  std::string target;
};

TEST_F(GrpcTest, EveryKindOfCallPassesOverH2cAndOverTls) {
  for (const auto& over : {std::vector<std::string>{}, tls()}) {
    const std::string how = over.empty() ? "h2c" : "tls";
    EXPECT_EQ(grpc_call(target, "unary", "hello", over), "ok echo:hello") << how;
    std::string numbers;
    for (int i = 0; i < 500; ++i) numbers += (i ? "|" : "") + std::to_string(i);
    EXPECT_EQ(grpc_call(target, "server", "500", over), "ok " + numbers) << how;
    EXPECT_EQ(grpc_call(target, "client", "2000", over), "ok sum:2000000,count:2000") << how;
    // Each message waits for the answer to the one before: both directions move at once.
    EXPECT_EQ(grpc_call(target, "bidi", "alpha,beta,gamma,delta", over),
              "ok ALPHA|BETA|GAMMA|DELTA")
        << how;
  }
}

TEST_F(GrpcTest, AnAbortedCallReachesTheClientWithItsCodeAndDetails) {
  EXPECT_EQ(grpc_call(target, "abort", "secret room"),
            "error PERMISSION_DENIED no entry: secret room");
  EXPECT_EQ(grpc_call(target, "abort", "over tls", tls()),
            "error PERMISSION_DENIED no entry: over tls");
}

TEST_F(GrpcTest, LocalRepliesAreGrpcStatuses) {
  // A method no router takes: UNIMPLEMENTED, as from a server that lacks it.
  auto t = grpc_table(certs, server.url());
  t.version = 2;
  t.routers.back().rule = "PathPrefix(`/wharf.Test/Unary`)";
  ASSERT_EQ(dp.apply(t), "ack");
  EXPECT_EQ(grpc_call(target, "bidi", "a"), "error UNIMPLEMENTED 404 Not Found");
  EXPECT_EQ(grpc_call(target, "unary", "a"), "ok echo:a");
}

// An HTTP/1.1 client of an HTTP/2 server gets the server's trailers in a chunked body: here a
// gRPC server's grpc-status after the framed answer.
TEST_F(GrpcTest, AnHttp11ClientGetsTheHttp2ServersTrailers) {
  HttpClient c(dp.port());
  const std::string message = std::string("\0\0\0\0\x05", 5) + "hello";  // gRPC framing.
  c.send_raw(
      "POST /wharf.Test/Unary HTTP/1.1\r\nHost: a.example\r\nContent-Type: "
      "application/grpc\r\nTE: trailers\r\nConnection: close\r\nContent-Length: " +
      std::to_string(message.size()) + "\r\n\r\n" + message);
  const std::string got = c.read_until_close();
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 ")) << got;
  EXPECT_TRUE(contains(got, "\r\nTransfer-Encoding: chunked\r\n")) << got;
  EXPECT_TRUE(contains(got, "echo:hello")) << got;
  EXPECT_TRUE(contains(got, "\r\n0\r\ngrpc-status: 0\r\n")) << got;
}

TEST(GrpcDown, AServerThatIsDownGivesTheClientUnavailable) {
  Certificates certs;
  InProcessDataplane dp;
  ASSERT_EQ(dp.apply(grpc_table(certs, "h2c://127.0.0.1:1")), "ack");
  const std::string target = "127.0.0.1:" + std::to_string(dp.port());
  EXPECT_EQ(grpc_call(target, "unary", "x"), "error UNAVAILABLE 502 Bad Gateway");
  EXPECT_EQ(grpc_call(target, "bidi", "x,y"), "error UNAVAILABLE 502 Bad Gateway");
}

}  // namespace
}  // namespace wharf::test
