// What a misbehaving HTTP/2 client gets, frame by frame (tests/peers/h2_frames.py, written with
// python3-hyperframe): the offender's stream is reset or its connection told GOAWAY, and every
// other client goes on being served.
#include <gtest/gtest.h>

#include <future>

#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

// RFC 9113 section 7's error codes.
constexpr int kProtocolError = 1;
constexpr int kInternalError = 2;
constexpr int kCancel = 8;
constexpr int kEnhanceYourCalm = 11;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// What the scenario saw, one event per line ("goaway 11 0", "rst 1 1", "status 1 200", ...).
std::string frames(const std::string& scenario, std::uint16_t port, const std::string& arg = {}) {
  return run_command({"/usr/bin/python3", std::string(WHARF_PEERS_DIR) + "/h2_frames.py", scenario,
                      std::to_string(port), arg})
      .out;
}

class Http2Defences : public ::testing::Test {
 protected:
  explicit Http2Defences(std::uint32_t body_idle_ms = 60'000) {
    auto t = simple_table(1, up.url());
    t.entrypoints.push_back({"web", {60'000, 180'000, body_idle_ms}, {}});
    EXPECT_EQ(dp.apply(t), "ack");
  }
  // A well-behaved client on its own connection, while or after the offender misbehaves.
  void others_are_served() {
    auto r = run_command({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                          "--http2-prior-knowledge", "--max-time", "10",
                          "http://127.0.0.1:" + std::to_string(dp.port()) + "/ok"});
    EXPECT_EQ(r.out, "2 200") << r.out;
  }

  UpstreamServer up{"app"};
  InProcessDataplane dp{1};
};

TEST_F(Http2Defences, RapidResetGetsGoawayAndOthersAreServed) {
  // CVE-2023-44487: thousands of streams, each reset as soon as it is opened.
  auto offender =
      std::async(std::launch::async, [&] { return frames("rapid_reset", dp.port(), "3000"); });
  others_are_served();
  const auto out = offender.get();
  EXPECT_TRUE(contains(out, "goaway " + std::to_string(kInternalError) + " ") ||
              contains(out, "goaway " + std::to_string(kEnhanceYourCalm) + " "))
      << out;
  others_are_served();
}

TEST_F(Http2Defences, FloodsOfCheapFramesGetGoawayEnhanceYourCalm) {
  for (const char* scenario :
       {"settings_flood", "ping_flood", "priority_flood", "empty_data_flood"}) {
    const auto out = frames(scenario, dp.port(), "3000");
    EXPECT_TRUE(contains(out, "goaway " + std::to_string(kEnhanceYourCalm) + " "))
        << scenario << out;
    others_are_served();
  }
  // A header block that never ends (CVE-2024-27316 class): at the ninth CONTINUATION.
  const auto out = frames("continuation_flood", dp.port(), "50");
  EXPECT_TRUE(contains(out, "goaway " + std::to_string(kEnhanceYourCalm) + " ")) << out;
  others_are_served();
}

TEST_F(Http2Defences, AHeaderListOverTheLimitGets431AndTheConnectionGoesOn) {
  const auto out = frames("big_header", dp.port(), "70000");
  EXPECT_TRUE(contains(out, "status 1 431")) << out;
  EXPECT_TRUE(contains(out, "status 3 200")) << out;
}

TEST_F(Http2Defences, MalformedRequestsAreStreamErrorsAndTheConnectionGoesOn) {
  // RFC 9113 section 8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR.
  for (const char* kind : {"uppercase", "connection", "transfer_encoding", "te", "unknown_pseudo",
                           "no_path", "pseudo_after_regular"}) {
    const auto out = frames("bad_request", dp.port(), kind);
    EXPECT_TRUE(contains(out, "rst 1 " + std::to_string(kProtocolError))) << kind << out;
    EXPECT_FALSE(contains(out, "status 1 ")) << kind << out;
    EXPECT_TRUE(contains(out, "status 3 200")) << kind << out;
  }
  EXPECT_EQ(up.requests_served(), 7u);  // Only the well-formed ones reached the server.
}

// RFC 9113's connection errors a client can provoke, each answered with GOAWAY and the error
// code the RFC names for it (nghttp2 decides these; the test holds the glue to not hide them).
TEST_F(Http2Defences, ConnectionErrorsGetTheGoawayCodeTheRfcNames) {
  constexpr int kFlowControlError = 3;
  constexpr int kFrameSizeError = 6;
  const std::vector<std::pair<std::string, int>> cases = {
      {"settings_window", kFlowControlError},  // 6.5.2
      {"settings_push", kProtocolError},       // 6.5.2
      {"settings_length", kFrameSizeError},    // 6.5
      {"window_zero", kProtocolError},         // 6.9
      {"data_stream0", kProtocolError},        // 6.1
      {"ping_length", kFrameSizeError},        // 6.7
      {"frame_size", kFrameSizeError},         // 4.2
      {"even_stream", kProtocolError},         // 5.1.1
      {"continuation_alone", kProtocolError},  // 6.10
      {"goaway_stream", kProtocolError},       // 6.8
  };
  for (const auto& [name, code] : cases) {
    const auto out = frames("conformance", dp.port(), name);
    EXPECT_TRUE(contains(out, "goaway " + std::to_string(code) + " ")) << name << out;
  }
  others_are_served();
}

class Http2ShortIdle : public Http2Defences {
 protected:
  Http2ShortIdle() : Http2Defences(1000) {}
};

// One slow stream never stalls its neighbours: on one connection, the stream whose window never
// opens waits, and the other downloads to its end.
TEST_F(Http2Defences, AStreamWhoseWindowStaysShutDoesNotStallItsNeighbour) {
  const auto out = frames("neighbours", dp.port(), "/bytes/1000000");
  EXPECT_TRUE(contains(out, "data 3 1000000")) << out;
  EXPECT_TRUE(contains(out, "stalled 1")) << out;
  EXPECT_FALSE(contains(out, "goaway")) << out;
}

TEST(Http2Idle, AnIdleConnectionIsToldGoawayAfterTheIdleTimeout) {
  UpstreamServer up{"app"};
  InProcessDataplane dp{1};
  auto t = simple_table(1, up.url());
  t.entrypoints.push_back({"web", {60'000, 500, 60'000}, {}});
  ASSERT_EQ(dp.apply(t), "ack");
  const auto out = frames("idle", dp.port(), "3");
  EXPECT_TRUE(contains(out, "status 1 200")) << out;
  // NO_ERROR, naming stream 1 as the last one taken: the client knows nothing was lost.
  EXPECT_TRUE(contains(out, "goaway 0 1")) << out;
}

TEST_F(Http2ShortIdle, AWindowThatNeverOpensResetsTheStreamAfterTheBodyIdleTimeout) {
  // The client's windows are 0: the response waits, then the stream is reset (CANCEL) once no
  // byte has moved for body_idle_ms; the connection and other clients go on.
  auto offender = std::async(std::launch::async,
                             [&] { return frames("zero_window", dp.port(), "/bytes/200000"); });
  others_are_served();
  const auto out = offender.get();
  EXPECT_TRUE(contains(out, "status 1 200")) << out;
  EXPECT_TRUE(contains(out, "rst 1 " + std::to_string(kCancel))) << out;
  others_are_served();
}

}  // namespace
}  // namespace wharf::test
