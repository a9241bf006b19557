// Upstream response heads relayed from their received bytes (dataplane/proxy/plain_response):
// the parser on its own, checked against Beast's parser, and end to end through the proxy with
// an upstream that sends exactly the bytes a test gives.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>

#include "test_common/canned_server.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/plain_vs_beast.hpp"

namespace wharf::test {
namespace {

using dataplane::proxy::parse_plain_response;
using dataplane::proxy::PlainParse;
using dataplane::proxy::PlainResponse;
using dataplane::proxy::write_head;

const std::string kNginxHead =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 01:39:18 GMT\r\n"
    "Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n";

TEST(PlainResponse, ATypicalHeadIsWrittenBackWithoutItsHopByHopLines) {
  const std::string bytes = kNginxHead + "hello";
  PlainResponse h;
  ASSERT_EQ(parse_plain_response(bytes, h), PlainParse::kPlain);
  EXPECT_EQ(h.size, kNginxHead.size());
  EXPECT_EQ(h.status_code, 200u);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_TRUE(h.keep_alive);
  std::string out;
  write_head(h, 11, out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 01:39:18 GMT\r\n"
            "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
  // An HTTP/1.0 client gets its own version and this hop's Connection line.
  write_head(h, 10, out, "Connection: keep-alive\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.0 200 OK\r\nServer: nginx/1.22.1\r\n")) << out;
  EXPECT_TRUE(out.ends_with("Content-Length: 5\r\nConnection: keep-alive\r\n\r\n")) << out;

  // Every hop-by-hop line goes, wherever it is; the others keep their order and bytes.
  const std::string hop =
      "HTTP/1.1 404 Not Found\r\nKeep-Alive: timeout=5\r\nX-A: 1\r\nUPGRADE: x\r\n"
      "Upgrade: h2c\r\nX-B:  two words \r\nTrailer: X-T\r\nTE: trailers\r\nContent-Length: 0\r\n"
      "Connection: Keep-Alive\r\n\r\n";
  ASSERT_EQ(parse_plain_response(hop, h), PlainParse::kPlain);
  write_head(h, 11, out);
  EXPECT_EQ(out,
            "HTTP/1.1 404 Not Found\r\nX-A: 1\r\nX-B:  two words \r\nContent-Length: 0\r\n\r\n");
}

TEST(PlainResponse, ConnectionPersistsAsRfc9112SaysForEachVersion) {
  struct Case {
    std::string head;
    bool keep_alive;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection:  CLOSE \r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true},
  };
  for (const auto& c : cases) {
    PlainResponse h;
    ASSERT_EQ(parse_plain_response(c.head, h), PlainParse::kPlain) << c.head;
    EXPECT_EQ(h.keep_alive, c.keep_alive) << c.head;
  }
}

TEST(PlainResponse, APartOfAHeadWaitsForTheRest) {
  PlainResponse h;
  for (std::size_t n = 0; n < kNginxHead.size(); ++n) {
    EXPECT_EQ(parse_plain_response(std::string_view(kNginxHead).substr(0, n), h),
              PlainParse::kIncomplete)
        << n;
  }
}

// Shapes for Beast's parser: framing, statuses without a body, versions, and anything that
// is not well-formed (Beast then says what is wrong).
const char* const kNotPlain[] = {
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n",  // Close-delimited: rechunked by the other path.
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
    "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n",
    "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n",
    "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 O\x7fK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\n: 1\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX(A): 1\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A: 1\r\n\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.0 200 OK\r\nProxy-Connection: keep-alive\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    // More separate runs of kept lines than the head has room for.
    "HTTP/1.1 200 OK\r\nA: 1\r\nTE: x\r\nB: 1\r\nTE: x\r\nC: 1\r\nTE: x\r\nD: 1\r\nTE: x\r\n"
    "E: 1\r\nTE: x\r\nF: 1\r\nTE: x\r\nG: 1\r\nTE: x\r\nH: 1\r\nTE: x\r\nI: 1\r\n"
    "Content-Length: 0\r\n\r\n",
};

TEST(PlainResponse, EveryOtherShapeIsLeftToBeast) {
  for (std::string_view head : kNotPlain) {
    PlainResponse h;
    EXPECT_EQ(parse_plain_response(head, h), PlainParse::kNotPlain) << head;
  }
  // A value may hold a NUL only as text a parser stops at: never plain.
  std::string nul = "HTTP/1.1 200 OK\r\nX-A: a";
  nul += '\0';
  nul += "b\r\nContent-Length: 0\r\n\r\n";
  PlainResponse h;
  EXPECT_EQ(parse_plain_response(nul, h), PlainParse::kNotPlain);
}

// Every head the plain parser takes, Beast takes the same way; checked for a set of heads,
// each of their prefixes and every one-byte change to them with the bytes that matter to the
// grammar (a deterministic sweep; the response_head fuzz target goes further).
TEST(PlainResponse, AgreesWithBeastOnEveryHeadItTakes) {
  std::vector<std::string> heads = {
      kNginxHead + "hello",
      "HTTP/1.0 404 Not Found\r\nKeep-Alive: timeout=5\r\nConnection: Keep-Alive\r\n"
      "TE: trailers\r\nX-A:\t a b \r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 503 Service \xc3\xa9\tUnavailable\r\nRetry-After: 5\r\nX-Obs: caf\xc3\xa9\r\n"
      "Content-Length: 000012\r\nConnection: close\r\n\r\n",
      "HTTP/1.1 200 \r\nContent-Length: 1\r\nUpgrade: h2c\r\nTrailer: X\r\n"
      "Proxy-Connection: keep-alive\r\n\r\nx",
      // No reason, and a code without a standard phrase either: none is written.
      "HTTP/1.1 512 \r\nContent-Length: 3\r\n\r\nbad",
  };
  for (const char* h : kNotPlain) heads.emplace_back(h);
  const char kBytes[] = {':', ' ', '\t', '\r', '\n', '\0', '\x7f', '\x80', 'A', ',', '0'};
  std::size_t checked = 0;
  for (const auto& head : heads) {
    for (std::size_t n = 0; n <= head.size(); ++n) {
      auto why = plain_vs_beast(std::string_view(head).substr(0, n));
      ASSERT_EQ(why, "") << head.substr(0, n);
      ++checked;
    }
    for (std::size_t i = 0; i < head.size(); ++i) {
      for (char b : kBytes) {
        std::string changed = head;
        changed[i] = b;
        auto why = plain_vs_beast(changed);
        ASSERT_EQ(why, "") << changed;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 10'000u);
}

// End to end: what the client receives when the upstream sends these exact bytes.
class PlainRelay : public ::testing::Test {
 protected:
  void route_to(const CannedServer& upstream) {
    ASSERT_EQ(dp.apply(simple_table(++version, upstream.url())), "ack");
  }
  // The bytes of the answer to a request sent raw, read until they end with `end` (so the
  // interim heads before the final one are seen as they went out).
  static std::string receive_until(HttpClient& c, std::string_view end) {
    std::string got;
    while (!got.ends_with(end)) {
      char buf[4096];
      const ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
      if (n <= 0) {
        ADD_FAILURE() << "the connection ended or stalled after: " << got;
        break;
      }
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }
  InProcessDataplane dp{1};
  std::uint64_t version = 0;
};

TEST_F(PlainRelay, HopByHopLinesAreDroppedAndTheUpstreamConnectionIsReused) {
  CannedServer upstream(
      "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nX-A: 1\r\nConnection: keep-alive\r\n"
      "Upgrade: h2c\r\nTrailer: X-T\r\nTE: trailers\r\n"
      "X-B: two words\r\nContent-Length: 5\r\n\r\nhello");
  route_to(upstream);
  HttpClient c(dp.port());
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("GET", "/");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.headers["x-a"], "1");
    EXPECT_EQ(r.headers["x-b"], "two words");
    // Each had a value upstream (the client's map holds "" for a name it was asked about).
    for (auto h : {"keep-alive", "connection", "upgrade", "trailer", "te"}) {
      EXPECT_EQ(r.headers[h], "") << h;
    }
    EXPECT_FALSE(r.closed);
  }
  EXPECT_EQ(upstream.connections(), 1u);
}

TEST_F(PlainRelay, AnUpstreamThatClosesIsNotReusedAndTheClientStays) {
  CannedServer upstream("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
                        /*close_after=*/true);
  route_to(upstream);
  HttpClient c(dp.port());
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("GET", "/");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "ok");
    EXPECT_FALSE(r.closed);
  }
  EXPECT_EQ(upstream.connections(), 3u);
}

TEST_F(PlainRelay, AnHttp10UpstreamIsReusedOnlyWhenItSaysKeepAlive) {
  CannedServer plain10("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", /*close_after=*/true);
  route_to(plain10);
  HttpClient c(dp.port());
  for (int i = 0; i < 2; ++i) EXPECT_EQ(c.request("GET", "/").body, "ok");
  EXPECT_EQ(plain10.connections(), 2u);

  CannedServer kept10("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok");
  route_to(kept10);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.request("GET", "/").body, "ok");
  EXPECT_EQ(kept10.connections(), 1u);
}

TEST_F(PlainRelay, BytesBeyondTheBodyAreNotRelayedAndTheConnectionIsDropped) {
  CannedServer upstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello");
  route_to(upstream);
  HttpClient c(dp.port());
  EXPECT_EQ(c.request("GET", "/").body, "he");
  EXPECT_EQ(c.request("GET", "/").body, "he");  // Not "llo" taken for a response.
  EXPECT_EQ(upstream.connections(), 2u);
}

// A body that breaks (a bad chunk size; a chunk-size line that never ends, refused once it fills
// the relay buffer) before any of the response went out gets a 502, and the client's connection
// stays; once the head is out, the connection is closed instead, which tells the client the
// body is incomplete. The broken upstream connection is not reused either way.
TEST_F(PlainRelay, ABodyThatBreaksGets502UntilItsHeadIsOut) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  double replies = 0;
  for (const std::string& broken :
       {std::string("zz\r\nabc\r\n"), "1;x=" + std::string(300 * 1024, 'a'),
        std::string("5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n")}) {
    SCOPED_TRACE(broken.substr(0, 8));
    CannedServer upstream(head + broken);
    route_to(upstream);
    HttpClient c(dp.port(), /*timeout_ms=*/5'000);
    for (int i = 0; i < 2; ++i) {
      auto r = c.request("GET", "/");
      EXPECT_EQ(r.status, 502u);
      EXPECT_FALSE(r.closed);
    }
    EXPECT_EQ(upstream.connections(), 2u);
    const std::string counted =
        "wharf_local_replies_total{entrypoint=\"web\",reason=\"upstream_protocol\"}";
    replies += 2;
    EXPECT_EQ(metric_sample(metrics_when(dp.admin_port(), counted, replies), counted), replies);

    CannedServer later(head + broken, /*close_after=*/false, /*piece=*/0,
                       /*hold_at=*/head.size());
    route_to(later);
    HttpClient d(dp.port(), /*timeout_ms=*/5'000);
    d.send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string got;
    while (got.find("\r\n\r\n") == std::string::npos) {
      char buf[4096];
      ssize_t n = ::recv(d.fd(), buf, sizeof buf, 0);
      ASSERT_GT(n, 0) << got;
      got.append(buf, static_cast<std::size_t>(n));
    }
    EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
    later.release();
    char buf[4096];
    const ssize_t n = ::recv(d.fd(), buf, sizeof buf, 0);  // Nothing after the head: the close.
    EXPECT_EQ(n, 0) << (n < 0 ? std::strerror(errno) : std::string(buf, std::max<ssize_t>(n, 0)));
  }
}

// A response in a transfer coding other than chunked alone would reach the client still coded
// (the field is hop-by-hop and goes): a 502 instead, as nginx answers; chunked passes.
TEST_F(PlainRelay, TransferCodingsOtherThanChunkedGet502) {
  for (std::string te : {"gzip", "gzip, chunked", "identity"}) {
    CannedServer upstream(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + te + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        /*close_after=*/true);
    route_to(upstream);
    HttpClient c(dp.port());
    auto r = c.request("GET", "/");
    EXPECT_EQ(r.status, 502u) << te;
    EXPECT_FALSE(r.closed) << te;
  }
  CannedServer chunked(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  route_to(chunked);
  HttpClient c(dp.port());
  EXPECT_EQ(c.request("GET", "/").body, "hello");
}

// A status line that ends right after its code ("HTTP/1.1 200" CRLF, no space) is taken, as
// nginx, HAProxy and Go take it: with a length (the plain parser's head) and chunked (Beast's),
// whole or arriving in pieces that cut the line before, at and after the missing space, and
// after an interim 103 without a reason of its own. A code below 100 gets a 502 (it would go out
// as a two-digit status), and the log says which server sent what.
TEST_F(PlainRelay, AStatusLineEndingAtItsCodeIsTakenAndACodeBelow100Is502) {
  const std::vector<std::string> answers = {
      "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
      "HTTP/1.1 404\r\nContent-Length: 2\r\n\r\nok"};
  for (const auto& answer : answers) {
    for (std::size_t piece : {0, 5, 12, 13}) {
      SCOPED_TRACE(answer.substr(0, 30) + " in pieces of " + std::to_string(piece));
      CannedServer upstream(answer, /*close_after=*/false, piece);
      route_to(upstream);
      HttpClient c(dp.port());
      auto r = c.request("GET", "/");
      EXPECT_EQ(r.status, answer[9] == '2' ? 200u : 404u);
      EXPECT_EQ(r.body, "ok");
      EXPECT_EQ(c.request("GET", "/").body, "ok");  // The upstream connection was kept.
      EXPECT_EQ(upstream.connections(), 1u);
    }
  }

  CannedServer hints(
      "HTTP/1.1 103\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok");
  route_to(hints);
  HttpClient d(dp.port());
  d.send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string got = receive_until(d, "\r\n\r\nok");
  EXPECT_TRUE(got.starts_with("HTTP/1.1 103 \r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 ")) << got;

  for (std::string below : {"HTTP/1.1 099 Odd\r\n", "HTTP/1.1 000\r\n"}) {
    CannedServer odd(below + "Content-Length: 2\r\n\r\nok");
    route_to(odd);
    HttpClient e(dp.port());
    testing::internal::CaptureStderr();
    auto r = e.request("GET", "/");
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.status, 502u) << below;
    EXPECT_FALSE(r.closed);
    EXPECT_NE(log.find(odd.url() + " sent status " + std::to_string(std::stoi(below.substr(9, 3))) +
                       ", below 100"),
              std::string::npos)
        << log;
  }

  CannedServer garbled("HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok");
  route_to(garbled);
  HttpClient f(dp.port());
  testing::internal::CaptureStderr();
  EXPECT_EQ(f.request("GET", "/").status, 502u);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find(garbled.url() + " sent a malformed response head: bad status"),
            std::string::npos)
      << log;
}

// Heads whose lines end in a bare LF, all of them or some, are taken (RFC 9112 section 2.2 lets
// a recipient; nginx and Go's client do) and go to the client with CRLFs, whole or in pieces
// that cut the head between a CR and its LF, before and after the end. Before, the parser waited
// for a CRLF CRLF that never came, and the client got 504 once the response-header timeout ran.
TEST_F(PlainRelay, HeadsWhoseLinesEndInABareLfAreTaken) {
  const std::vector<std::string> answers = {
      "HTTP/1.1 200 OK\nContent-Length: 2\nX-Camera: 1\n\nok",
      "HTTP/1.1 200\nTransfer-Encoding: chunked\nX-Camera: 1\n\n2\r\nok\r\n0\r\n\r\n",
      "HTTP/1.1 404 Not Found\r\nContent-Length: 2\nX-Camera: 1\r\n\nok",
      "HTTP/1.1 200 OK\nContent-Length: 2\r\nX-Camera: 1\n\r\nok"};
  for (const auto& answer : answers) {
    for (std::size_t piece : {0, 1, 12, 13, 17, 18}) {
      SCOPED_TRACE(testing::PrintToString(answer) + " in pieces of " + std::to_string(piece));
      CannedServer upstream(answer, /*close_after=*/false, piece);
      route_to(upstream);
      HttpClient c(dp.port(), /*timeout_ms=*/3'000);
      auto r = c.request("GET", "/");
      EXPECT_EQ(r.status, answer[9] == '2' ? 200u : 404u);
      EXPECT_EQ(r.headers["x-camera"], "1");
      EXPECT_EQ(r.body, "ok");
      EXPECT_EQ(c.request("GET", "/").body, "ok");  // The upstream connection was kept.
      EXPECT_EQ(upstream.connections(), 1u);
    }
  }

  CannedServer hints(
      "HTTP/1.1 103 Early Hints\nLink: </s.css>\n\nHTTP/1.1 200 OK\n"
      "Content-Length: 2\n\nok");
  route_to(hints);
  HttpClient d(dp.port(), /*timeout_ms=*/3'000);
  d.send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string got = receive_until(d, "\r\n\r\nok");
  EXPECT_TRUE(
      got.starts_with("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                      "HTTP/1.1 200 OK\r\n"))
      << got;
  EXPECT_EQ(got.find("\n\n"), std::string::npos) << got;

  // A head too short for the parser's first reads, rewritten and then followed by more bytes:
  // the parser is given the rewritten head again, not one rewritten twice. (HEAD, whose
  // response is never plain, so the parser sees the first 3 bytes on their own.)
  CannedServer tiny("H\n\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", /*close_after=*/false,
                    /*piece=*/3);
  route_to(tiny);
  HttpClient t(dp.port(), /*timeout_ms=*/3'000);
  testing::internal::CaptureStderr();
  EXPECT_EQ(t.request("HEAD", "/").status, 502u);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find(tiny.url() + " sent a malformed response head"), std::string::npos) << log;

  // A head that never ends is still refused at the head limit, bare LFs or not.
  CannedServer endless("HTTP/1.1 200 OK\n" + std::string(70 * 1024, 'x') + "\n");
  route_to(endless);
  HttpClient e(dp.port(), /*timeout_ms=*/3'000);
  EXPECT_EQ(e.request("GET", "/").status, 502u);
}

// A body whose sender pauses midway: what came before the pause reaches the client during it,
// whether it came with the head, in small pieces after it, or in bulk, with a length or in
// chunks (paused inside the chunk, at its end before the CRLF, or after it). Nothing may hold
// bytes back waiting for more (a relay filling its buffer before writing; a parser that reads
// on to the next chunk header before passing on the chunk; writes marked MSG_MORE, whose last
// partial packet the kernel keeps up to 200 ms); a hold that never ended would fail here on
// the client's receive timeout.
TEST_F(PlainRelay, WhatCameBeforeAPauseInTheBodyArrivesDuringThePause) {
  struct Shape {
    std::size_t before;  // Body bytes sent before the pause.
    bool pieces;         // Head and body in small pieces, 2 ms apart.
    bool chunked;        // One chunk of `before` bytes, one of the rest, the last chunk.
    std::size_t hold;    // Chunked: the bytes of the first chunk's CRLF sent before the pause.
  };
  for (auto shape : {Shape{1000, false, false, 0}, Shape{1000, true, false, 0},
                     Shape{300 * 1024, false, false, 0}, Shape{1000, false, true, 0},
                     Shape{1000, false, true, 1}, Shape{1000, true, true, 2},
                     Shape{300 * 1024, false, true, 2}}) {
    SCOPED_TRACE(std::to_string(shape.before) + (shape.pieces ? " in pieces" : "") +
                 (shape.chunked ? " chunked, CRLF bytes " + std::to_string(shape.hold) : ""));
    // Bytes that no head and no chunk size (hex) contains, to be counted as they arrive.
    const std::string before(shape.before, '#'), after(2000, '~');
    std::string head = "HTTP/1.1 200 OK\r\n", body;
    std::size_t hold_at = 0;
    if (shape.chunked) {
      const auto hex = [](std::size_t n) {
        char text[16];
        return std::string(text, std::to_chars(text, text + sizeof text, n, 16).ptr);
      };
      head += "Transfer-Encoding: chunked\r\n\r\n";
      body = hex(before.size()) + "\r\n" + before;
      hold_at = head.size() + body.size() + shape.hold;
      body += "\r\n" + hex(after.size()) + "\r\n" + after + "\r\n0\r\n\r\n";
    } else {
      head += "Content-Length: " + std::to_string(before.size() + after.size()) + "\r\n\r\n";
      body = before + after;
      hold_at = head.size() + before.size();
    }
    CannedServer upstream(head + body, /*close_after=*/false,
                          /*piece=*/shape.pieces ? head.size() : 0, hold_at);
    route_to(upstream);
    HttpClient c(dp.port(), /*timeout_ms=*/5'000);
    c.send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // Until `count` bytes `mark` have come, and the received bytes end with `end`.
    auto receive_until = [&](std::string& got, char mark, std::size_t count, std::string_view end) {
      while (static_cast<std::size_t>(std::count(got.begin(), got.end(), mark)) != count ||
             !got.ends_with(end)) {
        char buf[16384];
        ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << "stuck after " << got.size() << " bytes";
        got.append(buf, static_cast<std::size_t>(n));
      }
    };
    // A relayed chunk's CRLF goes out with its data; chunk sizes may differ from the upstream's.
    std::string got;
    receive_until(got, '#', before.size(), shape.chunked ? "\r\n" : "");
    EXPECT_EQ(got.find('~'), std::string::npos);  // Sent before the rest even existed.
    upstream.release();
    std::string rest;
    receive_until(rest, '~', after.size(), shape.chunked ? "\r\n0\r\n\r\n" : "");
    EXPECT_EQ(rest.find('#'), std::string::npos);
  }
}

// A head that comes in many pieces is given to Beast's parser after a few tries (no parsing
// from the start again for each byte a slow server sends) and arrives all the same.
TEST_F(PlainRelay, AHeadInManyPiecesIsRelayedWhole) {
  CannedServer upstream("HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok",
                        /*close_after=*/false, /*piece=*/3);
  route_to(upstream);
  HttpClient c(dp.port());
  for (int i = 0; i < 2; ++i) {
    auto r = c.request("GET", "/");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.headers["x-a"], "1");
    EXPECT_EQ(r.body, "ok");
  }
  EXPECT_EQ(upstream.connections(), 1u);
}

// A Content-Length repeated with one value is taken (RFC 9110 section 8.6) and reaches the
// client once: a client or next proxy that refuses repeats (nginx answers 400) still reads it.
TEST_F(PlainRelay, ARepeatedContentLengthReachesTheClientOnce) {
  for (std::string lengths : {"Content-Length: 5\r\nContent-Length: 5\r\n",
                              "Content-Length: 5, 5\r\n", "content-length: 5 ,5\r\n"}) {
    SCOPED_TRACE(lengths);
    CannedServer upstream("HTTP/1.1 200 OK\r\nX-A: 1\r\n" + lengths + "\r\nhello");
    route_to(upstream);
    HttpClient c(dp.port());
    for (const char* method : {"GET", "HEAD"}) {
      c.send_raw(std::string(method) + " / HTTP/1.1\r\nHost: a\r\n\r\n");
      const std::string got =
          receive_until(c, std::string_view(method) == "GET" ? "\r\n\r\nhello" : "\r\n\r\n");
      std::string lower = got;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      EXPECT_NE(lower.find("\r\ncontent-length: 5\r\n"), std::string::npos) << got;
      EXPECT_EQ(lower.find("content-length"), lower.rfind("content-length")) << got;
      EXPECT_NE(got.find("X-A: 1\r\n"), std::string::npos) << got;
    }
    EXPECT_EQ(upstream.connections(), 1u);
  }
}

// A chunked body keeps its trailer fields on the way to an HTTP/1.1 client, less the
// hop-by-hop ones, and the Trailer field that announced them stays; whole or in pieces. An
// HTTP/1.0 client gets the body alone, close-delimited, and no announcement.
TEST_F(PlainRelay, TrailersOfAChunkedResponseReachTheClient) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nTrailer: X-Checksum, Server-Timing\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n"
      "Connection: X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nServer-Timing: db;dur=53\r\n\r\n";
  for (std::size_t piece : {0, 7}) {
    SCOPED_TRACE(piece);
    CannedServer upstream(response, /*close_after=*/false, piece);
    route_to(upstream);
    HttpClient c(dp.port());
    for (int i = 0; i < 2; ++i) {
      c.send_raw("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      const std::string got = receive_until(c,
                                            "\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n"
                                            "Server-Timing: db;dur=53\r\n\r\n");
      EXPECT_NE(got.find("\r\nTrailer: X-Checksum, Server-Timing\r\n"), std::string::npos) << got;
    }
    EXPECT_EQ(upstream.connections(), 1u);

    HttpClient old(dp.port());
    old.send_raw("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
    const std::string got = old.read_until_close();
    EXPECT_TRUE(got.starts_with("HTTP/1.0 200 OK\r\n")) << got;
    EXPECT_TRUE(got.ends_with("\r\n\r\nhello")) << got;
    EXPECT_EQ(got.find("Trailer"), std::string::npos) << got;
  }
}

TEST_F(PlainRelay, HeadsOfOtherShapesStillGoThroughBeast) {
  // A field named in Connection is hop-by-hop too, and so is Proxy-Connection: both are
  // stripped on the parser's path.
  CannedServer named(
      "HTTP/1.1 200 OK\r\nConnection: X-Secret\r\nX-Secret: 1\r\nX-Kept: yes\r\n"
      "Proxy-Connection: keep-alive\r\nContent-Length: 2\r\n\r\nok");
  route_to(named);
  HttpClient c(dp.port());
  auto r = c.request("GET", "/");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers.count("x-secret"), 0u);
  EXPECT_EQ(r.headers.count("proxy-connection"), 0u);
  EXPECT_EQ(r.headers["x-kept"], "yes");
  // A bare LF amid CRLFs ends a line, as it does for nginx and Go: two fields, not one value
  // with an LF in it (which would reach the client as a line of its own, unchecked).
  CannedServer mixed("HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\nContent-Length: 2\r\n\r\nok");
  route_to(mixed);
  HttpClient d(dp.port());
  r = d.request("GET", "/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["x-a"], "1");
  EXPECT_EQ(r.headers["x-b"], "2");
  // A bare CR still breaks the head.
  CannedServer broken("HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\nContent-Length: 2\r\n\r\nok");
  route_to(broken);
  HttpClient e(dp.port());
  EXPECT_EQ(e.request("GET", "/").status, 502u);
}

}  // namespace
}  // namespace wharf::test
