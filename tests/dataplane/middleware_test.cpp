// Middlewares through the real data plane: a client, the in-process data plane and an upstream
// that echoes what it received, all on 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using Options = std::vector<std::pair<std::string, std::string>>;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class Middlewares : public ::testing::Test {
 protected:
  // Routes everything through `chain` (middlewares defined with `define` first).
  std::string route(const std::vector<std::string>& chain) {
    auto t = simple_table(++version_, upstream.url());
    t.routers[0].middlewares = chain;
    t.middlewares = defined_;
    return dp.apply(t);
  }
  void define(const std::string& name, const std::string& type, Options options) {
    defined_.push_back({name, type, std::move(options)});
  }
  Response get(const std::string& target, const std::map<std::string, std::string>& headers = {},
               const std::string& method = "GET") {
    HttpClient c(dp.port());
    return c.request(method, target, headers);
  }

  UpstreamServer upstream{"a"};
  InProcessDataplane dp{1};
  std::vector<model::Middleware> defined_;
  std::uint64_t version_ = 0;
};

TEST_F(Middlewares, RedirectSchemeKeepsHostPathAndQueryAndPicksTheStatusByMethod) {
  define("https@test", "redirectscheme", {{"scheme", "https"}, {"permanent", "true"}});
  define("temp@test", "redirectscheme", {{"scheme", "https"}, {"port", "8443"}});
  ASSERT_EQ(route({"https@test"}), "ack");
  auto r = get("/photos/1?size=big&x=%20", {{"Host", "Media.Example:8080"}});
  EXPECT_EQ(r.status, 301u);
  EXPECT_EQ(r.headers["location"], "https://media.example/photos/1?size=big&x=%20");
  EXPECT_EQ(get("/upload", {{"Host", "media.example"}}, "POST").status, 308u);
  EXPECT_EQ(upstream.requests_served(), 0u);

  ASSERT_EQ(route({"temp@test"}), "ack");
  r = get("/a?b", {{"Host", "media.example"}});
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(r.headers["location"], "https://media.example:8443/a?b");
  EXPECT_EQ(get("/a", {{"Host", "media.example"}}, "PUT").status, 307u);
}

TEST_F(Middlewares, RedirectStatusCodeIsSentForEveryMethod) {
  define("ssl@test", "redirectscheme", {{"scheme", "https"}, {"statuscode", "308"}});
  define("moved@test", "redirectregex",
         {{"regex", "^.*$"}, {"replacement", "https://new.example/"}, {"statuscode", "301"}});
  ASSERT_EQ(route({"ssl@test"}), "ack");
  EXPECT_EQ(get("/a", {{"Host", "x.example"}}).status, 308u);
  EXPECT_EQ(get("/a", {{"Host", "x.example"}}, "POST").status, 308u);
  ASSERT_EQ(route({"moved@test"}), "ack");
  auto r = get("/a", {{"Host", "x.example"}}, "POST");
  EXPECT_EQ(r.status, 301u);
  EXPECT_EQ(r.headers["location"], "https://new.example/");
  define("bad@test", "redirectscheme", {{"statuscode", "305"}});
  EXPECT_NE(route({"bad@test"}), "ack");
}

TEST_F(Middlewares, RedirectRegexRewritesTheWholeUrl) {
  define("old@test", "redirectregex",
         {{"regex", "^http://([^/]+)/old/(.*)"}, {"replacement", "https://${1}/new/$2"}});
  ASSERT_EQ(route({"old@test"}), "ack");
  auto r = get("/old/page?q=1", {{"Host", "site.example:81"}});
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(r.headers["location"], "https://site.example:81/new/page?q=1");
  // No match: the request goes on to the upstream.
  EXPECT_EQ(get("/other", {{"Host", "site.example"}}).status, 200u);
}

TEST_F(Middlewares, PathMiddlewaresRewriteWhatTheUpstreamSees) {
  define("strip@test", "stripprefix", {{"prefixes", "/nope,/api"}});
  define("stripre@test", "stripprefixregex", {{"regex", "/v[0-9]+"}});
  define("add@test", "addprefix", {{"prefix", "/app"}});
  define("replace@test", "replacepath", {{"path", "/fixed"}});
  define("replacere@test", "replacepathregex",
         {{"regex", "^/users/([0-9]+)$"}, {"replacement", "/u?id=$1"}});
  ASSERT_EQ(route({"strip@test", "add@test"}), "ack");
  auto r = get("/api/users?page=2");
  EXPECT_TRUE(contains(r.body, "GET /app/users?page=2\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Forwarded-Prefix: /api\n")) << r.body;
  r = get("/api");  // Stripping everything leaves "/".
  EXPECT_TRUE(contains(r.body, "GET /app/\n")) << r.body;

  ASSERT_EQ(route({"stripre@test"}), "ack");
  r = get("/v12/items");
  EXPECT_TRUE(contains(r.body, "GET /items\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Forwarded-Prefix: /v12\n")) << r.body;
  r = get("/x/v12/items");  // Only a match at the start strips.
  EXPECT_TRUE(contains(r.body, "GET /x/v12/items\n")) << r.body;

  ASSERT_EQ(route({"replace@test"}), "ack");
  r = get("/anything?keep=1");
  EXPECT_TRUE(contains(r.body, "GET /fixed?keep=1\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Replaced-Path: /anything\n")) << r.body;

  ASSERT_EQ(route({"replacere@test"}), "ack");
  r = get("/users/42");
  EXPECT_TRUE(contains(r.body, "GET /u?id=42\n")) << r.body;
}

TEST_F(Middlewares, HeadersSetRequestAndResponseHeadersAndHstsOnlyOverHttps) {
  define("hdr@test", "headers",
         {{"customrequestheaders.x-app", "wharf"},
          {"customrequestheaders.x-remove-me", ""},
          {"customresponseheaders.x-served-by", "edge"},
          {"customresponseheaders.x-upstream", ""},
          {"stsseconds", "63072000"},
          {"stsincludesubdomains", "true"},
          {"framedeny", "true"},
          {"contenttypenosniff", "true"},
          {"referrerpolicy", "no-referrer"}});
  ASSERT_EQ(route({"hdr@test"}), "ack");
  auto r = get("/", {{"X-Remove-Me", "secret"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(contains(r.body, "x-app: wharf\n")) << r.body;
  EXPECT_FALSE(contains(r.body, "secret")) << r.body;
  EXPECT_EQ(r.headers["x-served-by"], "edge");
  EXPECT_EQ(r.headers.count("x-upstream"), 0u);  // Removed from the response.
  EXPECT_EQ(r.headers["x-frame-options"], "DENY");
  EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(r.headers["referrer-policy"], "no-referrer");
  // Plain HTTP from an untrusted peer: HSTS would be meaningless (RFC 6797 section 7.2).
  EXPECT_EQ(r.headers.count("strict-transport-security"), 0u);

  // Appending keeps the client's value (the Gateway API's header modifiers' `add`).
  define("append@test", "headers",
         {{"appendrequestheaders.x-tag", "added"}, {"appendresponseheaders.x-trace", "edge"}});
  ASSERT_EQ(route({"append@test"}), "ack");
  r = get("/", {{"X-Tag", "client"}});
  EXPECT_TRUE(contains(r.body, "X-Tag: client\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "x-tag: added\n")) << r.body;
  EXPECT_EQ(r.headers["x-trace"], "edge");

  define("forced@test", "headers",
         {{"stsseconds", "300"}, {"forcestsheader", "true"}, {"stspreload", "true"}});
  ASSERT_EQ(route({"forced@test"}), "ack");
  EXPECT_EQ(get("/").headers["strict-transport-security"], "max-age=300; preload");
}

TEST(MiddlewaresTrusted, HstsWhenATrustedProxyTerminatedTls) {
  UpstreamServer upstream{"a"};
  InProcessDataplane dp{1, {"--trusted-proxies", "127.0.0.1"}};
  auto t = simple_table(1, upstream.url());
  t.middlewares.push_back({"hsts@test", "headers", {{"stsseconds", "60"}}});
  t.routers[0].middlewares = {"hsts@test"};
  ASSERT_EQ(dp.apply(t), "ack");
  HttpClient c(dp.port());
  auto r = c.request("GET", "/", {{"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(r.headers["strict-transport-security"], "max-age=60");
}

TEST_F(Middlewares, CorsAnswersPreflightsAndTagsResponses) {
  define("cors@test", "headers",
         {{"accesscontrolalloworiginlist", "https://app.example"},
          {"accesscontrolallowmethods", "GET,PUT"},
          {"accesscontrolallowheaders", "Authorization,Content-Type"},
          {"accesscontrolexposeheaders", "X-Total"},
          {"accesscontrolallowcredentials", "true"},
          {"accesscontrolmaxage", "600"},
          {"addvaryheader", "true"}});
  ASSERT_EQ(route({"cors@test"}), "ack");
  auto pre =
      get("/api", {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "PUT"}},
          "OPTIONS");
  EXPECT_EQ(pre.status, 200u);
  EXPECT_EQ(pre.headers["access-control-allow-origin"], "https://app.example");
  EXPECT_EQ(pre.headers["access-control-allow-methods"], "GET, PUT");
  EXPECT_EQ(pre.headers["access-control-allow-headers"], "Authorization, Content-Type");
  EXPECT_EQ(pre.headers["access-control-allow-credentials"], "true");
  EXPECT_EQ(pre.headers["access-control-max-age"], "600");
  EXPECT_EQ(pre.body, "");
  EXPECT_EQ(upstream.requests_served(), 0u);  // A preflight never reaches the app.

  auto r = get("/api", {{"Origin", "https://app.example"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "https://app.example");
  EXPECT_EQ(r.headers["access-control-expose-headers"], "X-Total");
  EXPECT_EQ(r.headers["vary"], "Origin");
  auto other = get("/api", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.status, 200u);
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
}

TEST_F(Middlewares, AllowedHostsRefuseOtherHosts) {
  define("hosts@test", "headers", {{"allowedhosts", "app.example"}});
  ASSERT_EQ(route({"hosts@test"}), "ack");
  EXPECT_EQ(get("/", {{"Host", "app.example:8080"}}).status, 200u);
  EXPECT_EQ(get("/", {{"Host", "other.example"}}).status, 400u);
}

// hostsProxyHeaders: allowedHosts checks the host a proxy in front passed on; sslProxyHeaders:
// a request such a proxy received over HTTPS gets HSTS. Both as Traefik's headers do.
TEST_F(Middlewares, HostsAndSslProxyHeadersAreReadAsTraefikReadsThem) {
  define("hosts@test", "headers",
         {{"allowedhosts", "app.example"},
          {"hostsproxyheaders", "X-Forwarded-Host"},
          {"sslproxyheaders.x-forwarded-proto", "https"},
          {"stsseconds", "300"},
          {"sslredirect", "true"}});
  ASSERT_EQ(route({"hosts@test"}), "ack");
  EXPECT_EQ(get("/", {{"Host", "internal:8080"}, {"X-Forwarded-Host", "app.example"}}).status,
            200u);
  EXPECT_EQ(get("/", {{"Host", "app.example"}, {"X-Forwarded-Host", "evil.example"}}).status, 400u);
  auto plain = get("/", {{"Host", "app.example"}});
  EXPECT_EQ(plain.status, 200u);  // sslRedirect is deprecated and without effect, as in Traefik
  EXPECT_EQ(plain.headers.count("strict-transport-security"), 0u);
  auto proxied = get("/", {{"Host", "app.example"}, {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(proxied.headers["strict-transport-security"], "max-age=300");
}

std::string basic(const std::string& user_password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned val = 0;
  int bits = -6;
  for (unsigned char c : user_password) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kAlphabet[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(kAlphabet[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return "Basic " + out;
}

TEST_F(Middlewares, BasicAuthVerifiesBcryptApr1AndShaUsers) {
  // Hashes of "secret" made with python crypt (bcrypt), `openssl passwd -apr1` and SHA-1.
  define("auth@test", "basicauth",
         {{"users",
           "bee:$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a,"
           "apr:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/,"
           "sha:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="},
          {"realm", "Home Lab"},
          {"removeheader", "true"},
          {"headerfield", "X-WebAuth-User"}});
  define("frame@test", "headers", {{"framedeny", "true"}});
  ASSERT_EQ(route({"frame@test", "auth@test"}), "ack");
  auto denied = get("/");
  EXPECT_EQ(denied.status, 401u);
  EXPECT_EQ(denied.headers["www-authenticate"], "Basic realm=\"Home Lab\"");
  // What earlier middlewares set reaches the reply of a later one.
  EXPECT_EQ(denied.headers["x-frame-options"], "DENY");
  for (const std::string user : {"bee", "apr", "sha"}) {
    auto ok = get("/", {{"Authorization", basic(user + ":secret")}});
    EXPECT_EQ(ok.status, 200u) << user;
    EXPECT_TRUE(contains(ok.body, "X-WebAuth-User: " + user + "\n")) << ok.body;
    EXPECT_FALSE(contains(ok.body, "Authorization")) << ok.body;  // removeheader
    EXPECT_EQ(get("/", {{"Authorization", basic(user + ":wrong")}}).status, 401u) << user;
  }
  EXPECT_EQ(get("/", {{"Authorization", basic("nobody:secret")}}).status, 401u);
  EXPECT_EQ(get("/", {{"Authorization", "Basic !!!"}}).status, 401u);
  EXPECT_EQ(get("/", {{"Authorization", "Bearer abc"}}).status, 401u);
  // Verified once, then from the cache: the same answer again, also after a table swap.
  ASSERT_EQ(route({"frame@test", "auth@test"}), "ack");
  EXPECT_EQ(get("/", {{"Authorization", basic("bee:secret")}}).status, 200u);
}

TEST_F(Middlewares, IpAllowListChecksTheClientOrTheForwardedChainAtDepth) {
  define("lan@test", "ipallowlist", {{"sourcerange", "10.0.0.0/8, 192.168.0.0/16"}});
  define("local@test", "ipallowlist", {{"sourcerange", "127.0.0.1/32"}});
  define(
      "depth@test", "ipallowlist",
      {{"sourcerange", "203.0.113.0/24"}, {"ipstrategy.depth", "2"}, {"rejectstatuscode", "404"}});
  ASSERT_EQ(route({"lan@test"}), "ack");
  EXPECT_EQ(get("/").status, 403u);
  // An untrusted peer cannot talk its way in with a header.
  EXPECT_EQ(get("/", {{"X-Forwarded-For", "10.1.1.1"}}).status, 403u);
  ASSERT_EQ(route({"local@test"}), "ack");
  EXPECT_EQ(get("/").status, 200u);
  ASSERT_EQ(route({"depth@test"}), "ack");
  EXPECT_EQ(get("/", {{"X-Forwarded-For", "203.0.113.7, 10.0.0.1"}}).status, 200u);
  EXPECT_EQ(get("/", {{"X-Forwarded-For", "198.51.100.1, 203.0.113.7"}}).status, 404u);
  EXPECT_EQ(get("/", {{"X-Forwarded-For", "203.0.113.7"}}).status, 404u);  // Too short.
}

TEST_F(Middlewares, IpDenyListRefusesItsRangesAndAnUnknownClient) {
  define("deny-local@test", "ipdenylist", {{"sourcerange", "127.0.0.0/8"}});
  define("deny-lan@test", "ipdenylist", {{"sourcerange", "10.0.0.0/8"}});
  define("deny-depth@test", "ipdenylist",
         {{"sourcerange", "10.0.0.0/8"}, {"ipstrategy.depth", "2"}});
  ASSERT_EQ(route({"deny-local@test"}), "ack");
  EXPECT_EQ(get("/").status, 403u);
  ASSERT_EQ(route({"deny-lan@test"}), "ack");
  EXPECT_EQ(get("/").status, 200u);
  ASSERT_EQ(route({"deny-depth@test"}), "ack");
  EXPECT_EQ(get("/", {{"X-Forwarded-For", "10.0.0.1, 127.0.0.1"}}).status, 403u);
  EXPECT_EQ(get("/", {{"X-Forwarded-For", "192.0.2.1, 127.0.0.1"}}).status, 200u);
  EXPECT_EQ(get("/").status, 403u);  // No address at that depth: refused, never let through.
}

TEST_F(Middlewares, LimitsAnswerWithTheirRejectStatusCode) {
  define("rl@test", "ratelimit", {{"average", "1"}, {"period", "1m"}, {"rejectstatuscode", "503"}});
  define("one@test", "inflightreq", {{"amount", "1"}, {"rejectstatuscode", "503"}});
  ASSERT_EQ(route({"rl@test"}), "ack");
  EXPECT_EQ(get("/").status, 200u);
  EXPECT_EQ(get("/").status, 503u);
  ASSERT_EQ(route({"one@test"}), "ack");
  auto slow = std::async(std::launch::async, [&] { return get("/slow/500").status; });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(get("/").status, 503u);
  EXPECT_EQ(slow.get(), 200u);
}

TEST_F(Middlewares, RateLimitRefusesBeyondTheBurstPerSourceAndSurvivesTableSwaps) {
  define("rl@test", "ratelimit",
         {{"average", "1"},
          {"period", "1m"},
          {"burst", "3"},
          {"sourcecriterion.requestheadername", "X-User"}});
  ASSERT_EQ(route({"rl@test"}), "ack");
  HttpClient c(dp.port());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.request("GET", "/", {{"X-User", "a"}}).status, 200u) << i;
  }
  auto refused = c.request("GET", "/", {{"X-User", "a"}});
  EXPECT_EQ(refused.status, 429u);
  auto retry = std::stoi(refused.headers["retry-after"]);
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  EXPECT_FALSE(refused.closed);  // Refusing a request does not cost the connection.
  EXPECT_EQ(c.request("GET", "/", {{"X-User", "b"}}).status, 200u);  // Its own bucket.
  // A new table with the same middleware keeps the buckets.
  ASSERT_EQ(route({"rl@test"}), "ack");
  EXPECT_EQ(get("/", {{"X-User", "a"}}).status, 429u);
}

TEST_F(Middlewares, RateLimitIsAccurateOverTenSeconds) {
  define("rl@test", "ratelimit", {{"average", "50"}, {"burst", "1"}});
  ASSERT_EQ(route({"rl@test"}), "ack");
  HttpClient c(dp.port());
  int ok = 0, refused = 0;
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
    auto s = c.request("GET", "/").status;
    (s == 200 ? ok : refused)++;
  }
  std::printf("rate limit 50/s: %d admitted, %d refused in 10 s\n", ok, refused);
  // 50/s over 10 s is 500 (+1 for the burst): within ±10 %. The client asks again at once, as
  // a bucket holding one token loses what accrues while it is full.
  EXPECT_GE(ok, 450);
  EXPECT_LE(ok, 550);
  EXPECT_GT(refused, 0);
}

TEST_F(Middlewares, InFlightReqLimitsConcurrentRequestsAndReleasesSlots) {
  define("one@test", "inflightreq", {{"amount", "1"}});
  ASSERT_EQ(route({"one@test"}), "ack");
  auto slow = std::async(std::launch::async, [&] { return get("/slow/700").status; });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(get("/").status, 429u);
  EXPECT_EQ(slow.get(), 200u);
  EXPECT_EQ(get("/").status, 200u);  // The slot came back when the slow one finished.
  EXPECT_EQ(get("/").status, 200u);
}

TEST_F(Middlewares, ForwardAuthPassesWithTheAuthServersHeadersOrAnswersWithItsRedirect) {
  UpstreamServer auth{"auth"};
  define("sso@test", "forwardauth",
         {{"address", auth.url() + "/auth/verify?app=photos"},
          {"authresponseheaders", "X-Auth-User,X-Auth-Groups"},
          {"addauthcookiestoresponse", "auth_session"}});
  ASSERT_EQ(route({"sso@test"}), "ack");
  // Not logged in: the client gets the auth server's redirect, cookies and page, and the app
  // never sees the request.
  const std::string port = std::to_string(dp.port());
  auto denied = run_command({"curl", "-sS", "-i", "-H", "Host: photos.example",
                             "http://127.0.0.1:" + port + "/albums/7?sort=new"});
  ASSERT_EQ(denied.status, 0) << denied.out;
  EXPECT_NE(denied.out.find("HTTP/1.1 302 Found"), std::string::npos) << denied.out;
  EXPECT_NE(denied.out.find("Location: https://login.example/?rd=/albums/7?sort=new"),
            std::string::npos)
      << denied.out;
  EXPECT_NE(denied.out.find("Set-Cookie: csrf=c1; Path=/"), std::string::npos) << denied.out;
  EXPECT_NE(denied.out.find("Set-Cookie: flow=f1; Path=/"), std::string::npos) << denied.out;
  EXPECT_NE(denied.out.find("Content-Type: text/html"), std::string::npos) << denied.out;
  EXPECT_NE(denied.out.find("<a href=\"https://login.example/\">log in</a>"), std::string::npos);
  // What the auth server was told: a GET to its own path, and the original request.
  EXPECT_NE(denied.out.find("X-Seen: GET /auth/verify?app=photos GET "
                            "http://photos.example/albums/7?sort=new for 127.0.0.1"),
            std::string::npos)
      << denied.out;
  EXPECT_EQ(upstream.requests_served(), 0u);

  // Logged in: the request goes on with the named headers from the auth server (a client's
  // own X-Auth-User is replaced, X-Not-Copied is not copied) and only the named cookie is
  // added to the app's response.
  auto ok = run_command({"curl", "-sS", "-i", "-X", "POST", "-d", "body", "-H", "X-Token: good",
                         "-H", "X-Auth-User: mallory", "http://127.0.0.1:" + port + "/api"});
  ASSERT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("HTTP/1.1 200 OK"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("POST /api\n"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("X-Auth-User: alice\n"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("X-Auth-Groups: admins\n"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find("mallory"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find("X-Not-Copied"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("Set-Cookie: auth_session=s1; Path=/; HttpOnly"), std::string::npos)
      << ok.out;
  EXPECT_EQ(ok.out.find("tracking=t1"), std::string::npos) << ok.out;
  // The connection to the auth server is kept alive and reused across clients.
  HttpClient c(dp.port());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.request("GET", "/", {{"X-Token", "good"}}).status, 200u);
  }
  EXPECT_EQ(auth.connections_accepted(), 1u);
  EXPECT_EQ(auth.requests_served(), 7u);
}

// maxResponseBodySize: a longer auth answer is a 401 (Traefik's answer); authSigninURL turns the
// auth server's 401 into a redirect to the sign-in page.
TEST_F(Middlewares, ForwardAuthBoundsTheAnswerAndSendsToTheSignInPage) {
  UpstreamServer auth{"auth"};
  define("small@test", "forwardauth",
         {{"address", auth.url() + "/bytes/5000"}, {"maxresponsebodysize", "4096"}});
  define("fits@test", "forwardauth",
         {{"address", auth.url() + "/bytes/4096"}, {"maxresponsebodysize", "4096"}});
  define("signin@test", "forwardauth",
         {{"address", auth.url() + "/status/401"},
          {"authsigninurl", "https://login.example/sign-in"}});
  ASSERT_EQ(route({"small@test"}), "ack");
  EXPECT_EQ(get("/").status, 401u);
  ASSERT_EQ(route({"fits@test"}), "ack");
  EXPECT_EQ(get("/").status, 200u);
  ASSERT_EQ(route({"signin@test"}), "ack");
  auto r = get("/");
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(r.headers["location"], "https://login.example/sign-in");
  EXPECT_EQ(upstream.requests_served(), 1u);
}

// ingress-nginx's auth-url: its method, X-Original-URL and friends, and a sign-in URL filled in
// per request.
TEST_F(Middlewares, ForwardAuthAsIngressNginxAsksAndSendsToSignIn) {
  UpstreamServer auth{"auth"};
  define("nginx@test", "forwardauth",
         {{"address", auth.url() + "/auth"}, {"method", "POST"}, {"originalheaders", "true"}});
  define(
      "signin@test", "forwardauth",
      {{"address", auth.url() + "/status/401"},
       {"authsigninurl", "https://login.example/start?rd={scheme}://{host}{escaped_uri}&u={uri}"}});
  ASSERT_EQ(route({"nginx@test"}), "ack");
  auto r = get("/albums/7?sort=new", {{"Host", "photos.example"}});
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(r.headers["x-seen"].rfind("POST /auth ", 0), 0u) << r.headers["x-seen"];
  EXPECT_EQ(r.headers["x-seen-original"],
            "GET http://photos.example/albums/7?sort=new redirect /albums/7?sort=new from "
            "127.0.0.1");
  ASSERT_EQ(route({"signin@test"}), "ack");
  r = get("/a%20b?x=1", {{"Host", "photos.example:8080"}});
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(r.headers["location"],
            "https://login.example/start?rd=http://photos.example:8080%2Fa%2520b%3Fx%3D1"
            "&u=/a%20b?x=1");
  define("lower@test", "forwardauth", {{"address", auth.url()}, {"method", "get"}});
  EXPECT_NE(route({"lower@test"}), "ack");  // Not an HTTP method.
}

TEST_F(Middlewares, ForwardAuthThatCannotBeReachedIsA502NotAPass) {
  define("sso@test", "forwardauth", {{"address", "http://127.0.0.1:1/verify"}});
  ASSERT_EQ(route({"sso@test"}), "ack");
  EXPECT_EQ(get("/", {{"X-Token", "good"}}).status, 502u);
  EXPECT_EQ(upstream.requests_served(), 0u);
}

TEST_F(Middlewares, ChainsExpandInOrder) {
  define("strip@test", "stripprefix", {{"prefixes", "/app"}});
  define("tag@test", "headers", {{"customrequestheaders.x-chain", "yes"}});
  define("both@test", "chain", {{"middlewares", "strip,tag"}});
  ASSERT_EQ(route({"both@test"}), "ack");
  auto r = get("/app/x");
  EXPECT_TRUE(contains(r.body, "GET /x\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "x-chain: yes\n")) << r.body;
}

TEST_F(Middlewares, ABadMiddlewareIsRefusedAndThePreviousTableKeepsServing) {
  define("strip@test", "stripprefix", {{"prefixes", "/app"}});
  ASSERT_EQ(route({"strip@test"}), "ack");
  defined_[0].options = {{"prefixes", "/app"}, {"typo", "1"}};
  auto nack = route({"strip@test"});
  EXPECT_EQ(nack, "nack: middleware 'strip@test' (stripprefix): typo: unknown option");
  auto r = get("/app/x");
  EXPECT_TRUE(contains(r.body, "GET /x\n")) << r.body;
}

TEST(EntryPointRedirect, PlainHttpGoesToTheTargetEntrypointsPort) {
  UpstreamServer upstream{"a"};
  InProcessDataplane dp{1, {"--entrypoint", "websecure=127.0.0.1:0"}};
  auto t = simple_table(1, upstream.url());
  t.entrypoints.push_back({"web", {}, {"websecure", "https", true}});
  ASSERT_EQ(dp.apply(t), "ack");
  HttpClient c(dp.port("web"));
  auto r = c.request("GET", "/path?q=1&r=%2F", {{"Host", "home.example"}});
  EXPECT_EQ(r.status, 301u);
  EXPECT_EQ(r.headers["location"],
            "https://home.example:" + std::to_string(dp.port("websecure")) + "/path?q=1&r=%2F");
  // Even where no router matches: the redirect comes first, as in Traefik.
  auto none = simple_table(2, upstream.url(), "Host(`elsewhere`)");
  none.entrypoints = t.entrypoints;
  ASSERT_EQ(dp.apply(none), "ack");
  EXPECT_EQ(c.request("POST", "/", {{"Host", "home.example"}}).status, 308u);
  // The other entrypoint is not redirected.
  HttpClient s(dp.port("websecure"));
  EXPECT_EQ(s.request("GET", "/", {{"Host", "elsewhere"}}).status, 200u);
  // A target this data plane does not listen on is refused, naming it.
  t.entrypoints[0].redirect.to = "nowhere";
  EXPECT_EQ(dp.apply(t),
            "nack: entrypoint 'web' redirects to entrypoint 'nowhere', which this data plane "
            "does not listen on");
}

}  // namespace
}  // namespace wharf::test
