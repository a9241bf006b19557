// The middlewares that act on the exchange with the server (compress, retry, errors,
// buffering, circuitbreaker), through the real data plane with real upstream servers.
#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "dataplane/proxy/encoder.hpp"
#include "test_common/canned_server.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/eventually.hpp"
#include "test_common/misbehaving_server.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using Options = std::vector<std::pair<std::string, std::string>>;
using dataplane::proxy::Encoding;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(pattern_byte(i));
  return s;
}

// With `partial`, what the bytes decode to so far (the proxy flushes the compressor with every
// piece it writes); otherwise the whole stream, properly ended.
std::string inflate_gzip(const std::string& in, bool partial) {
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END || partial ? out : "gunzip failed";
}

std::string gunzip(const std::string& in) {
  return inflate_gzip(in, false);
}

std::string unbrotli(const std::string& in) {
  auto* d = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
  std::size_t avail_in = in.size();
  std::string out;
  BrotliDecoderResult rc = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
  while (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
    std::uint8_t buf[65536];
    std::uint8_t* next_out = buf;
    std::size_t avail_out = sizeof buf;
    rc = BrotliDecoderDecompressStream(d, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
  }
  BrotliDecoderDestroyInstance(d);
  return rc == BROTLI_DECODER_RESULT_SUCCESS ? out : "unbrotli failed";
}

std::string unzstd(const std::string& in) {
  auto* d = ZSTD_createDCtx();
  ZSTD_inBuffer i{in.data(), in.size(), 0};
  std::string out;
  std::size_t rc = 1;
  while (i.pos < i.size || rc != 0) {
    char buf[65536];
    ZSTD_outBuffer o{buf, sizeof buf, 0};
    rc = ZSTD_decompressStream(d, &o, &i);
    if (ZSTD_isError(rc)) break;
    out.append(buf, o.pos);
    if (o.pos == 0 && i.pos == i.size) break;
  }
  ZSTD_freeDCtx(d);
  return rc == 0 ? out : "unzstd failed";
}

// The data of the complete chunks of a chunked response received so far.
std::string dechunk(const std::string& raw) {
  auto at = raw.find("\r\n\r\n");
  if (at == std::string::npos) return {};
  at += 4;
  std::string data;
  for (;;) {
    const auto eol = raw.find("\r\n", at);
    if (eol == std::string::npos) break;
    const std::size_t size = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    if (size == 0 || raw.size() < eol + 2 + size + 2) break;
    data += raw.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return data;
}

class ExchangeMiddlewares : public ::testing::Test {
 protected:
  // Routes everything to `url` through `chain`; extra services come along (error pages).
  std::string route(const std::vector<std::string>& chain, const std::string& url,
                    std::vector<model::Service> extra = {}) {
    auto t = simple_table(++version_, url);
    t.routers[0].middlewares = chain;
    t.middlewares = defined_;
    for (auto& s : extra) t.services.push_back(std::move(s));
    return dp.apply(t);
  }
  std::string route(const std::vector<std::string>& chain) { return route(chain, upstream.url()); }
  void define(const std::string& name, const std::string& type, Options options) {
    defined_.push_back({name, type, std::move(options)});
  }
  Response get(const std::string& target, const std::map<std::string, std::string>& headers = {},
               const std::string& method = "GET", const std::string& body = {}) {
    HttpClient c(dp.port());
    return c.request(method, target, headers, body);
  }

  UpstreamServer upstream{"app"};
  InProcessDataplane dp{1};
  std::vector<model::Middleware> defined_;
  std::uint64_t version_ = 0;
};

TEST(Encoding, NegotiationFollowsQValuesThenOurOrder) {
  const std::vector<std::string> ours{"zstd", "br", "gzip"};
  auto pick = [&](const char* accept) {
    std::string a = accept;
    return dataplane::proxy::negotiate(&a, ours, "");
  };
  EXPECT_EQ(pick("gzip, deflate, br"), Encoding::kBrotli);  // Equal q: our order.
  EXPECT_EQ(pick("gzip;q=1.0, br;q=0.5"), Encoding::kGzip);
  EXPECT_EQ(pick("br;q=0, *"), Encoding::kZstd);
  EXPECT_EQ(pick("gzip;q=0, br;q=0, zstd;q=0"), Encoding::kNone);
  EXPECT_EQ(pick("*;q=0"), Encoding::kNone);
  EXPECT_EQ(pick("identity"), Encoding::kNone);
  EXPECT_EQ(pick(""), Encoding::kNone);  // Present but empty: no compression.
  EXPECT_EQ(pick("GZIP"), Encoding::kGzip);
  EXPECT_EQ(dataplane::proxy::negotiate(nullptr, ours, ""), Encoding::kNone);
  EXPECT_EQ(dataplane::proxy::negotiate(nullptr, ours, "gzip"), Encoding::kGzip);
}

TEST_F(ExchangeMiddlewares, CompressEncodesWhatTheClientAcceptsAndLeavesTheRestAlone) {
  define("z@test", "compress", {});
  ASSERT_EQ(route({"z@test"}), "ack");
  const std::string want = pattern(300'000);
  struct Case {
    const char* accept;
    const char* coding;
    std::string (*decode)(const std::string&);
  };
  for (const auto& c : {Case{"gzip", "gzip", gunzip}, Case{"gzip, br", "br", unbrotli},
                        Case{"gzip;q=0.5, zstd", "zstd", unzstd}}) {
    for (const char* target : {"/bytes/300000", "/bytes/300000?chunked=1"}) {
      auto r = get(target, {{"Accept-Encoding", c.accept}});
      ASSERT_EQ(r.status, 200u) << target;
      EXPECT_EQ(r.headers["content-encoding"], c.coding) << c.accept;
      EXPECT_EQ(r.headers["vary"], "Accept-Encoding");
      EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
      EXPECT_EQ(r.headers.count("content-length"), 0u);
      EXPECT_LT(r.body.size(), want.size() / 10) << "the pattern compresses well";
      EXPECT_TRUE(c.decode(r.body) == want) << c.coding << " " << target;
    }
  }
  // Not asked for, too small, already encoded, or a HEAD: untouched.
  auto plain = get("/bytes/300000");
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  EXPECT_EQ(plain.headers["content-length"], "300000");
  auto small = get("/bytes/1000", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(small.headers.count("content-encoding"), 0u);
  EXPECT_EQ(small.body, pattern(1000));
  HttpClient c(dp.port());
  c.send_raw("HEAD /bytes/300000 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
  auto head = c.read_response(/*head=*/true);
  EXPECT_EQ(head.headers.count("content-encoding"), 0u);
  EXPECT_EQ(head.headers["content-length"], "300000");
}

// A compressed body whose sender pauses midway: what came before the pause reaches the client,
// compressed and decodable, during it (an event stream, a progress log), with a length or in
// chunks. And a body that breaks before anything went out gets a 502, as an uncompressed one.
TEST_F(ExchangeMiddlewares, CompressedBodiesPassOnWhatCameBeforeAPause) {
  define("z@test", "compress", {});
  const std::string before(3000, '#'), after(3000, '~');
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";
  for (bool chunked : {false, true}) {
    SCOPED_TRACE(chunked ? "chunked" : "length");
    std::string response, rest;
    if (chunked) {
      // Trailers are dropped, and their announcement: a digest in them would describe the
      // bytes before compression.
      response =
          head + "Trailer: Digest\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\n" + before + "\r\n";
      rest = "bb8\r\n" + after + "\r\n0\r\nDigest: sha-256=x\r\n\r\n";
    } else {
      response = head + "Content-Length: 6000\r\n\r\n" + before;
      rest = after;
    }
    CannedServer upstream(response + rest, /*close_after=*/false, /*piece=*/0, response.size());
    ASSERT_EQ(route({"z@test"}, upstream.url()), "ack");
    HttpClient c(dp.port(), /*timeout_ms=*/5'000);
    c.send_raw("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
    std::string raw;
    auto receive_until = [&](char mark, std::size_t count, std::string_view end) {
      for (;;) {
        const std::string text = inflate_gzip(dechunk(raw), /*partial=*/true);
        if (static_cast<std::size_t>(std::count(text.begin(), text.end(), mark)) == count &&
            raw.ends_with(end))
          return;
        char buf[16384];
        ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << "stuck after " << raw.size() << " bytes, " << text.size() << " decoded";
        raw.append(buf, static_cast<std::size_t>(n));
      }
    };
    receive_until('#', before.size(), "\r\n");
    EXPECT_NE(raw.find("Content-Encoding: gzip\r\n"), std::string::npos) << raw.substr(0, 200);
    upstream.release();
    receive_until('~', after.size(), "\r\n0\r\n\r\n");
    EXPECT_EQ(gunzip(dechunk(raw)), before + after);  // A whole gzip stream, properly ended.
    EXPECT_EQ(raw.find("Digest"), std::string::npos) << raw.substr(0, 200);
  }
  for (const std::string& broken :
       {std::string("zz\r\nabc\r\n"), "1;x=" + std::string(300 * 1024, 'a')}) {
    CannedServer upstream(head + "Transfer-Encoding: chunked\r\n\r\n" + broken);
    ASSERT_EQ(route({"z@test"}, upstream.url()), "ack");
    auto r = get("/", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(r.status, 502u) << broken.substr(0, 8);
  }
}

TEST_F(ExchangeMiddlewares, CompressHonoursContentTypesAndTheMinimumSize) {
  define("z@test", "compress",
         {{"excludedcontenttypes", "application/octet-stream"}, {"encodings", "gzip"}});
  define("z2@test", "compress",
         {{"includedcontenttypes", "text/plain"}, {"minresponsebodybytes", "10"}});
  ASSERT_EQ(route({"z@test"}), "ack");
  EXPECT_EQ(get("/bytes/5000", {{"Accept-Encoding", "gzip"}}).headers.count("content-encoding"),
            0u);
  // The echo route answers text/plain: compressed with gzip even when br is offered first.
  auto echo = get("/echo", {{"Accept-Encoding", "br, gzip"}, {"X-Pad", std::string(2000, 'p')}});
  EXPECT_EQ(echo.headers["content-encoding"], "gzip");
  EXPECT_TRUE(contains(gunzip(echo.body), "GET /echo")) << echo.body.size();

  ASSERT_EQ(route({"z2@test"}), "ack");
  EXPECT_EQ(get("/bytes/5000", {{"Accept-Encoding", "gzip"}}).headers.count("content-encoding"),
            0u);
  auto text = get("/echo", {{"Accept-Encoding", "gzip, br"}});
  EXPECT_EQ(text.headers["content-encoding"], "br");  // Equal q-values: zstd, br, gzip.
  EXPECT_TRUE(contains(unbrotli(text.body), "GET /echo"));
}

TEST_F(ExchangeMiddlewares, RetryRepeatsRequestsThatAreSafeToRepeatAndNothingElse) {
  // Each case its own server: three failures in a row eject a server (passive health), and an
  // ejected server is not tried at all.
  MisbehavingServer once(MisbehavingServer::Mode::kDrop), thrice(MisbehavingServer::Mode::kDrop),
      post(MisbehavingServer::Mode::kDrop);
  define("retry@test", "retry", {{"attempts", "3"}, {"initialinterval", "10ms"}});
  // Without the middleware a lone server that drops the request gets one try.
  ASSERT_EQ(route({}, once.url()), "ack");
  EXPECT_EQ(get("/").status, 502u);
  EXPECT_EQ(once.connections(), 1u);

  ASSERT_EQ(route({"retry@test"}, thrice.url()), "ack");
  EXPECT_EQ(get("/").status, 502u);
  EXPECT_EQ(thrice.connections(), 3u);
  // A POST may have been acted on: it is never sent twice.
  ASSERT_EQ(route({"retry@test"}, post.url()), "ack");
  EXPECT_EQ(get("/", {}, "POST", "payload").status, 502u);
  EXPECT_EQ(post.connections(), 1u);
}

// buffering.retryExpression `IsNetworkError() && Attempts() <= 2`: three tries of a request
// that failed before any answer, on the retry middleware's path.
TEST_F(ExchangeMiddlewares, BufferingRetryExpressionRetriesNetworkErrors) {
  MisbehavingServer dropping(MisbehavingServer::Mode::kDrop);
  define("buffer@test", "buffering",
         {{"maxrequestbodybytes", "1000000"},
          {"retryexpression", "IsNetworkError() && Attempts() <= 2"}});
  ASSERT_EQ(route({"buffer@test"}, dropping.url()), "ack");
  EXPECT_EQ(get("/").status, 502u);
  EXPECT_EQ(dropping.connections(), 3u);
}

TEST_F(ExchangeMiddlewares, RetryMovesATimedOutRequestToAnotherServer) {
  MisbehavingServer hangs(MisbehavingServer::Mode::kSilent);
  define("retry@test", "retry", {{"attempts", "2"}});
  auto t = simple_table(++version_, hangs.url());
  t.services[0].servers.push_back({upstream.url(), 1});
  t.services[0].timeouts.response_header_ms = 300;
  t.routers[0].middlewares = {"retry@test"};
  t.middlewares = defined_;
  ASSERT_EQ(dp.apply(t), "ack");
  // Round robin sends the first request to the silent server; the retry answers it.
  for (int i = 0; i < 4; ++i) {
    auto r = get("/page");
    EXPECT_EQ(r.status, 200u) << i;
    EXPECT_EQ(r.headers["x-upstream"], "app");
  }
  EXPECT_GE(hangs.connections(), 1u);
}

TEST_F(ExchangeMiddlewares, ErrorsReplaceMatchingResponsesWithAPageFromAnotherService) {
  UpstreamServer pages("pages");
  define("err@test", "errors",
         {{"status", "404,500-599"},
          {"service", "pages@test"},
          {"query", "/errors/{status}.html?from={url}&was={originalStatus}"},
          {"statusrewrites.418", "400"}});
  define("teapot@test", "errors",
         {{"status", "418"},
          {"service", "pages@test"},
          {"statusrewrites.418", "400"},
          {"query", "/{status}"}});
  model::Service page_service;
  page_service.name = "pages@test";
  page_service.servers = {{pages.url(), 1}};
  ASSERT_EQ(route({"err@test"}, upstream.url(), {page_service}), "ack");
  auto r = get("/status/503", {{"Host", "app.example"}, {"Cookie", "session=secret"}});
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.headers["x-upstream"], "pages");
  // The page service gets the client's Host and the filled-in query, never its cookies.
  EXPECT_TRUE(contains(r.body, "GET /errors/503.html?from=%2Fstatus%2F503&was=503\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "Host: app.example\n")) << r.body;
  EXPECT_FALSE(contains(r.body, "secret")) << r.body;
  // Other statuses pass unchanged.
  EXPECT_EQ(get("/status/401").headers["x-upstream"], "app");
  EXPECT_EQ(get("/status/401").status, 401u);

  // A server that cannot be reached: the 502 becomes the page too.
  ASSERT_EQ(route({"err@test"}, "http://127.0.0.1:1", {page_service}), "ack");
  r = get("/x");
  EXPECT_EQ(r.status, 502u);
  EXPECT_TRUE(contains(r.body, "GET /errors/502.html?from=%2Fx&was=502")) << r.body;

  // statusRewrites changes the status the client sees.
  ASSERT_EQ(route({"teapot@test"}, upstream.url(), {page_service}), "ack");
  r = get("/status/418");
  EXPECT_EQ(r.status, 400u);
  EXPECT_TRUE(contains(r.body, "GET /400\n")) << r.body;

  // The page service is down: the original answer goes out.
  pages.kill();
  ASSERT_EQ(route({"err@test"}, upstream.url(), {page_service}), "ack");
  r = get("/status/503");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.headers["x-upstream"], "app");
}

// ingress-nginx's custom-http-errors: the default backend is told the code and the request.
TEST_F(ExchangeMiddlewares, ErrorsSendTheirRequestHeadersToThePageService) {
  UpstreamServer pages("pages");
  define("nginx@test", "errors",
         {{"status", "404"},
          {"service", "pages@test"},
          {"requestheaders.x-code", "{status}"},
          {"requestheaders.x-original-uri", "{uri}"},
          {"requestheaders.x-format", "{accept}"},
          {"requestheaders.x-namespace", "shop"}});
  model::Service page_service;
  page_service.name = "pages@test";
  page_service.servers = {{pages.url(), 1}};
  ASSERT_EQ(route({"nginx@test"}, upstream.url(), {page_service}), "ack");
  auto r = get("/status/404?q=1", {{"Accept", "application/json"}});
  EXPECT_EQ(r.status, 404u);
  EXPECT_TRUE(contains(r.body, "GET /\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Code: 404\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Original-Uri: /status/404?q=1\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Format: application/json\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Namespace: shop\n")) << r.body;
}

TEST_F(ExchangeMiddlewares, AnErrorsMiddlewareNamingAMissingServiceRefusesTheTable) {
  define("err@test", "errors", {{"status", "500"}, {"service", "nowhere"}});
  EXPECT_EQ(route({"err@test"}),
            "nack: middleware 'err@test' (errors) uses service 'nowhere@test', which is not "
            "defined");
  EXPECT_EQ(get("/").status, 404u);  // The table before (none) keeps serving.
}

TEST_F(ExchangeMiddlewares, BufferingRefusesBodiesOverItsLimits) {
  define("limit@test", "buffering",
         {{"maxrequestbodybytes", "1000"}, {"maxresponsebodybytes", "5000"}});
  ASSERT_EQ(route({"limit@test"}), "ack");
  // A declared length over the limit never reaches the server.
  auto served = upstream.requests_served();
  auto r = get("/upload", {}, "POST", std::string(1001, 'x'));
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(upstream.requests_served(), served);
  EXPECT_TRUE(contains(get("/upload", {}, "POST", std::string(1000, 'x')).body, "received 1000"));
  // A chunked body is counted as it streams: past the limit, with more still to come, 413 and
  // the connection closed.
  HttpClient c(dp.port());
  std::string chunk(600, 'y');
  c.send_raw("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" +
             chunk + "\r\n258\r\n" + chunk + "\r\n");
  auto big = c.read_response();
  EXPECT_EQ(big.status, 413u);
  EXPECT_TRUE(big.closed);
  // Responses: a known length over the limit is a 500; within it passes.
  EXPECT_EQ(get("/bytes/5001").status, 500u);
  const std::string too_large =
      "wharf_local_replies_total{entrypoint=\"web\",reason=\"response_too_large\"}";
  EXPECT_EQ(metric_sample(metrics_when(dp.admin_port(), too_large, 1), too_large), 1);
  EXPECT_EQ(get("/bytes/5000").body, pattern(5000));
  // An unknown length over the limit never arrives whole: a 500 when the head was still held,
  // else the body ends early (no last-chunk) and the connection closes.
  HttpClient d(dp.port());
  d.send_raw("GET /bytes/300000?chunked=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto all = d.read_until_close();
  ASSERT_TRUE(all.starts_with("HTTP/1.1 ")) << all.substr(0, 100);
  if (all.starts_with("HTTP/1.1 200")) {
    EXPECT_FALSE(contains(all, "\r\n0\r\n\r\n"));
    EXPECT_LT(all.size(), 10'000u);
  } else {
    EXPECT_TRUE(all.starts_with("HTTP/1.1 500")) << all.substr(0, 100);
  }
}

TEST_F(ExchangeMiddlewares, CircuitBreakerTripsFallsBackAndRecovers) {
  define("cb@test", "circuitbreaker",
         {{"expression", "ResponseCodeRatio(500, 600, 0, 600) > 0.5"},
          {"checkperiod", "10ms"},
          {"fallbackduration", "300ms"},
          {"recoveryduration", "300ms"},
          {"responsecode", "503"}});
  ASSERT_EQ(route({"cb@test"}), "ack");
  HttpClient c(dp.port());
  // Failing responses until the breaker opens: then the server gets nothing more.
  ASSERT_TRUE(eventually([&] { return c.request("GET", "/status/500").status == 503; },
                         std::chrono::seconds(1), std::chrono::milliseconds(5)));
  const auto served = upstream.requests_served();
  auto r = c.request("GET", "/status/200");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.headers.count("x-upstream"), 0u);
  EXPECT_EQ(upstream.requests_served(), served);
  // After the fallback the server gets traffic again, a rising share of it, then all.
  int ok_in_a_row = 0;
  for (int i = 0; i < 400 && ok_in_a_row < 20; ++i) {
    ok_in_a_row = c.request("GET", "/status/200").status == 200 ? ok_in_a_row + 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(ok_in_a_row, 20);
  EXPECT_GT(upstream.requests_served(), served);
}

}  // namespace
}  // namespace wharf::test
