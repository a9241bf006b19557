// Metrics, health, the admin API and the access log of the real data plane: traffic is driven
// through it, then /metrics, /api and the log are read back and checked.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "dataplane/metrics/access_log.hpp"
#include "test_common/certificates.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/eventually.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Response admin_get(std::uint16_t port, const std::string& target) {
  return HttpClient(port).request("GET", target);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

model::RoutingTable observed_table(const std::string& app_url) {
  auto t = simple_table(1, app_url, "Host(`app.example`)");
  t.routers[0].name = "app@test";
  t.routers[0].service = "app@test";
  t.services[0].name = "app@test";
  model::Router dead;
  dead.name = "dead@test";
  dead.rule = "Host(`dead.example`)";
  dead.service = "dead@test";
  t.routers.push_back(dead);
  model::Service dead_service;
  dead_service.name = "dead@test";
  dead_service.servers = {{"http://127.0.0.1:1", 1}};
  t.services.push_back(dead_service);
  t.middlewares.push_back(
      {"auth@test", "basicauth", {{"users", "alice:{SHA}fDYHuOYbzxlE6ehQOmYPIfS28/E="}}});
  t.diagnostics.push_back({"router", "broken@docker",
                           "label wharf.http.routers.broken.rule: "
                           "column 6: expected ')'"});
  return t;
}

TEST(Observability, MetricsCountWhatTrafficDid) {
  UpstreamServer app("app");
  InProcessDataplane dp{2};
  const auto admin = dp.admin_port();
  ASSERT_NE(admin, 0u);
  EXPECT_EQ(admin_get(admin, "/readyz").status, 503u);  // No table yet.
  EXPECT_EQ(admin_get(admin, "/healthz").status, 200u);
  ASSERT_EQ(dp.apply(observed_table(app.url())), "ack");
  EXPECT_EQ(admin_get(admin, "/readyz").status, 200u);

  HttpClient c(dp.port());
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(c.request("GET", "/x", {{"Host", "app.example"}}).status, 200u);
  }
  ASSERT_EQ(c.request("POST", "/upload", {{"Host", "app.example"}}, std::string(1000, 'u')).status,
            200u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(c.request("GET", "/nothing", {{"Host", "nobody.example"}}).status, 404u);
  }
  ASSERT_EQ(c.request("GET", "/", {{"Host", "dead.example"}}).status, 502u);
  // A raw path with a host from the request never becomes a label.
  c.request("GET", "/secret/path?token=abc", {{"Host", "app.example"}});

  auto m = admin_get(admin, "/metrics");
  ASSERT_EQ(m.status, 200u);
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string app_labels =
      "entrypoint=\"web\",method=\"GET\",router=\"app@test\",service=\"app@test\"";
  // The request counter also says which protocol the client spoke.
  const std::string ok_series =
      "wharf_requests_total{code=\"200\"," + app_labels + ",protocol=\"1.1\"}";
  std::string t = metrics_when(admin, ok_series, 8);
  EXPECT_EQ(metric_sample(t, ok_series), 8) << t;
  EXPECT_EQ(metric_sample(t, "wharf_request_duration_seconds_count{" + app_labels + "}"), 8);
  EXPECT_EQ(
      metric_sample(t, "wharf_request_duration_seconds_bucket{" + app_labels + ",le=\"+Inf\"}"), 8);
  EXPECT_EQ(metric_sample(t,
                          "wharf_request_bytes_total{entrypoint=\"web\",method=\"POST\",router="
                          "\"app@test\",service=\"app@test\"}"),
            1000);
  EXPECT_GT(metric_sample(t, "wharf_response_bytes_total{" + app_labels + "}"), 0);
  EXPECT_EQ(metric_sample(t,
                          "wharf_requests_total{code=\"404\",entrypoint=\"web\",method=\"GET\","
                          "router=\"\",service=\"\",protocol=\"1.1\"}"),
            3);
  EXPECT_EQ(metric_sample(t, "wharf_local_replies_total{entrypoint=\"web\",reason=\"no_route\"}"),
            3);
  EXPECT_EQ(
      metric_sample(t, "wharf_local_replies_total{entrypoint=\"web\",reason=\"upstream_connect\"}"),
      1);
  EXPECT_EQ(metric_sample(t, "wharf_upstream_connect_errors_total{service=\"dead@test\"}"), 1);
  EXPECT_EQ(metric_sample(t, "wharf_open_connections{entrypoint=\"web\"}"), 1);  // `c`, kept alive.
  EXPECT_EQ(metric_sample(t, "wharf_table_version"), 1);
  EXPECT_EQ(metric_sample(t, "wharf_table_applies_total{result=\"applied\"}"), 1);
  EXPECT_GE(metric_sample(t, "wharf_upstream_idle_connections"), 1);
  EXPECT_EQ(
      metric_sample(t, "wharf_service_server_up{service=\"app@test\",url=\"" + app.url() + "\"}"),
      1);
  EXPECT_FALSE(contains(t, "nobody.example")) << "hosts never become labels";
  EXPECT_FALSE(contains(t, "/secret/path")) << "paths never become labels";

  // A bad table is counted as rejected and changes nothing else.
  auto bad = observed_table(app.url());
  bad.routers[0].service = "missing";
  EXPECT_NE(dp.apply(bad), "ack");
  t = admin_get(admin, "/metrics").body;
  EXPECT_EQ(metric_sample(t, "wharf_table_applies_total{result=\"rejected\"}"), 1);
  EXPECT_EQ(metric_sample(t, "wharf_table_version"), 1);

  // promtool, Prometheus's own checker, accepts the exposition.
  TempDir dir;
  std::ofstream(dir.path() + "/metrics.txt") << t;
  auto check = run_command({"sh", "-c", "promtool check metrics < " + dir.path() + "/metrics.txt"});
  EXPECT_EQ(check.status, 0) << check.out;
}

TEST(Observability, TheApiListsTheTableWithoutSecrets) {
  UpstreamServer app("app");
  InProcessDataplane dp{1};
  auto t = observed_table(app.url());
  for (int i = 0; i < 250; ++i) {
    model::Router r;
    r.name = "bulk-" + std::to_string(i) + "@file";
    r.rule = "Host(`bulk" + std::to_string(i) + ".example`)";
    r.service = "app@test";
    t.routers.push_back(r);
  }
  ASSERT_EQ(dp.apply(t), "ack");
  const auto admin = dp.admin_port();

  auto routers = admin_get(admin, "/api/http/routers?search=BULK-1&per_page=20&page=2");
  ASSERT_EQ(routers.status, 200u);
  // bulk-1, bulk-10..19, bulk-100..199: 111 matches.
  EXPECT_EQ(routers.headers["x-total-count"], "111");
  EXPECT_EQ(routers.headers["x-next-page"], "3");
  EXPECT_TRUE(contains(routers.body, "\"name\":\"bulk-109@file\"")) << routers.body;
  EXPECT_TRUE(contains(routers.body, "\"rule\":\"Host(`bulk109.example`)\""));
  auto last = admin_get(admin, "/api/http/routers?search=bulk-1&per_page=20&page=6");
  EXPECT_EQ(last.headers.count("x-next-page"), 0u);

  auto one = admin_get(admin, "/api/http/routers/app@test");
  EXPECT_EQ(one.status, 200u);
  EXPECT_TRUE(contains(one.body, "\"service\":\"app@test\"")) << one.body;
  EXPECT_EQ(admin_get(admin, "/api/http/routers/none@test").status, 404u);

  auto services = admin_get(admin, "/api/http/services").body;
  EXPECT_TRUE(contains(services, "\"url\":\"" + app.url() + "\",\"weight\":1,\"status\":\"UP\""))
      << services;
  auto middlewares = admin_get(admin, "/api/http/middlewares").body;
  EXPECT_TRUE(contains(middlewares, "\"users\":\"alice\"")) << middlewares;
  EXPECT_FALSE(contains(middlewares, "{SHA}")) << "password hashes are not served";
  auto rejected = admin_get(admin, "/api/rejected").body;
  EXPECT_TRUE(contains(rejected, "\"name\":\"broken@docker\"")) << rejected;
  auto overview = admin_get(admin, "/api/overview").body;
  EXPECT_TRUE(contains(overview, "\"routers\":{\"total\":252}")) << overview;
  EXPECT_TRUE(contains(overview, "\"rejected\":{\"router\":1}")) << overview;
  auto dashboard = admin_get(admin, "/dashboard/");
  EXPECT_EQ(dashboard.status, 200u);
  EXPECT_TRUE(contains(dashboard.body, "<title>Wharf</title>"));
  HttpClient post(admin);
  EXPECT_EQ(post.request("POST", "/api/overview").status, 405u);
}

// Certificates with their issuer and dates read from the leaf, and what the controller's ACME
// resolvers say of theirs: renewal time, or the last failure and the next try; one not
// obtained yet is listed too. No key, no PEM.
TEST(Observability, TheApiListsCertificatesWithTheirIssuerAndAcmeStatus) {
  UpstreamServer app("app");
  InProcessDataplane dp{1};
  Certificates certs;
  auto t = observed_table(app.url());
  t.certificates = {certs.exact, certs.wildcard};
  t.certificate_status.push_back(
      {"le", {"a.example"}, "app@test", "exact@test", "valid", "", 1893456000, 0});
  t.certificate_status.push_back({"dns",
                                  {"*.home.example", "home.example"},
                                  "wild@file",
                                  "",
                                  "failing",
                                  "TXT update in zone home.example at 127.0.0.1:53: NOTAUTH",
                                  0,
                                  1893456060});
  ASSERT_EQ(dp.apply(t), "ack");
  auto all = admin_get(dp.admin_port(), "/api/certificates");
  ASSERT_EQ(all.status, 200u);
  EXPECT_EQ(all.headers["x-total-count"], "3");
  const auto& b = all.body;
  EXPECT_TRUE(contains(b,
                       "{\"name\":\"exact@test\",\"domains\":[\"a.example\"],"
                       "\"issuer\":\"a.example\",\"notBefore\":\""))
      << b;
  EXPECT_TRUE(contains(b,
                       "\"default\":false,\"status\":\"valid\",\"resolver\":\"le\","
                       "\"router\":\"app@test\",\"renewAt\":\"2030-01-01T00:00:00Z\"}"))
      << b;
  EXPECT_TRUE(contains(b,
                       "{\"name\":\"wild@test\",\"domains\":[\"*.wild.example\"],"
                       "\"issuer\":\"wild\""))
      << b;
  EXPECT_TRUE(contains(b,
                       "{\"name\":\"dns/*.home.example,home.example\","
                       "\"domains\":[\"*.home.example\",\"home.example\"],"
                       "\"status\":\"failing\",\"resolver\":\"dns\",\"router\":\"wild@file\","
                       "\"lastError\":\"TXT update in zone home.example at 127.0.0.1:53: "
                       "NOTAUTH\",\"retryAt\":\"2030-01-01T00:01:00Z\"}"))
      << b;
  EXPECT_FALSE(contains(b, "BEGIN")) << "no PEM is served";
  // Searchable by state and by the error.
  auto failing = admin_get(dp.admin_port(), "/api/certificates?search=notauth");
  EXPECT_EQ(failing.headers["x-total-count"], "1") << failing.body;
}

// api@internal and the other internal services through a user's router: its host rule and its
// middlewares (basic auth here) apply; the answers are the admin address's own.
TEST(Observability, InternalServicesAnswerThroughTheUsersRouter) {
  InProcessDataplane dp{2};
  model::RoutingTable t;
  t.version = 1;
  for (const char* kind : {"api", "dashboard", "noop", "ping", "prometheus"}) {
    model::Service s;
    s.name = std::string(kind) + "@internal";
    s.internal = kind;
    t.services.push_back(s);
  }
  // alice:secret (SHA-1, as `htpasswd -s` makes it).
  t.middlewares.push_back(
      {"auth@file", "basicauth", {{"users", "alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="}}});
  t.routers.push_back({"dashboard@file",
                       "Host(`traefik.example`)",
                       0,
                       {},
                       "api@internal",
                       false,
                       {"auth@file"},
                       {}});
  t.routers.push_back(
      {"redirect@file", "Host(`old.example`)", 0, {}, "noop@internal", false, {}, {}});
  t.routers.push_back({"ping@file", "Host(`ping.example`)", 0, {}, "ping@internal", false, {}, {}});
  t.routers.push_back(
      {"metrics@file", "Host(`metrics.example`)", 0, {}, "prometheus@internal", false, {}, {}});
  ASSERT_EQ(dp.apply(t), "ack");
  HttpClient c(dp.port());
  const std::map<std::string, std::string> alice{{"Host", "traefik.example"},
                                                 {"Authorization", "Basic YWxpY2U6c2VjcmV0"}};
  EXPECT_EQ(c.request("GET", "/api/http/routers", {{"Host", "traefik.example"}}).status, 401u);
  auto routers = c.request("GET", "/api/http/routers", alice);
  EXPECT_EQ(routers.status, 200u);
  EXPECT_EQ(routers.headers["content-type"], "application/json");
  EXPECT_NE(routers.body.find("\"dashboard@file\""), std::string::npos) << routers.body;
  auto page = c.request("GET", "/dashboard/", alice);
  EXPECT_EQ(page.status, 200u);
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  EXPECT_EQ(c.request("POST", "/api/http/routers", alice).status, 405u);
  EXPECT_EQ(c.request("GET", "/metrics", alice).status, 404u);  // prometheus@internal's
  EXPECT_EQ(c.request("GET", "/", {{"Host", "old.example"}}).status, 418u);
  auto ping = c.request("GET", "/ping", {{"Host", "ping.example"}});
  EXPECT_EQ(ping.status, 200u);
  EXPECT_EQ(ping.body, "OK");
  auto metrics = c.request("GET", "/", {{"Host", "metrics.example"}});
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("wharf_requests_total"), std::string::npos);

  // An internal service is a name the data plane knows; anything else is refused.
  t.version = 2;
  t.services[0].internal = "shell";
  EXPECT_NE(dp.apply(t).find("internal 'shell' is not an internal service"), std::string::npos);
}

TEST(Observability, AccessLogRedactsSecretsAndNamesTheRoute) {
  UpstreamServer app("app");
  TempDir dir;
  const std::string log = dir.path() + "/access.log";
  InProcessDataplane dp{
      1, {"--access-log", log, "--access-log-format", "json", "--access-log-redact", "sessionId"}};
  ASSERT_EQ(dp.apply(observed_table(app.url())), "ack");
  HttpClient c(dp.port());
  // Jellyfin puts its key in the query; Immich's shared links carry `key`.
  auto r = c.request("GET", "/Videos/1/stream?static=true&api_key=JELLYSECRET&X-Emby-Token=EMBY",
                     {{"Host", "app.example"},
                      {"Authorization", "Bearer AUTHSECRET"},
                      {"Cookie", "session=COOKIESECRET"},
                      {"User-Agent", "Jellyfin-Web/10.9"},
                      {"X-Request-Id", "trace-42"}});
  ASSERT_EQ(r.status, 200u);
  // The server got the request id the client sent.
  EXPECT_TRUE(contains(r.body, "X-Request-Id: trace-42\n")) << r.body;
  auto shared =
      c.request("GET", "/api/assets/9/original?key=IMMICHSECRET&sessionId=S1",
                {{"Host", "app.example"}, {"Referer", "https://app/share?key=REFSECRET"}});
  // Without one, the data plane makes one up and passes it on.
  std::smatch id;
  ASSERT_TRUE(std::regex_search(shared.body, id, std::regex("X-Request-Id: ([0-9a-f]{32})\n")))
      << shared.body;
  c.request("GET", "/", {{"Host", "nobody.example"}});
  // A line is queued just after its response went out: wait for the third.
  std::string text;
  for (int i = 0; i < 200 && std::count(text.begin(), text.end(), '\n') < 3; ++i) {
    std::this_thread::sleep_for(5ms);
    dp.dataplane().access_log()->flush();
    text = read_file(log);
  }
  for (const char* secret :
       {"JELLYSECRET", "EMBY", "AUTHSECRET", "COOKIESECRET", "IMMICHSECRET", "REFSECRET", "S1"}) {
    EXPECT_FALSE(contains(text, secret)) << secret << " leaked:\n" << text;
  }
  EXPECT_TRUE(contains(text,
                       "\"path\":\"/Videos/1/stream?static=true&api_key=REDACTED&X-Emby-"
                       "Token=REDACTED\""))
      << text;
  EXPECT_TRUE(
      contains(text, "\"path\":\"/api/assets/9/original?key=REDACTED&sessionId=REDACTED\""));
  EXPECT_TRUE(contains(
      text, "\"router\":\"app@test\",\"service\":\"app@test\",\"upstream\":\"" + app.url() + "\""))
      << text;
  EXPECT_TRUE(contains(text, "\"request_id\":\"trace-42\""));
  EXPECT_TRUE(contains(text, "\"request_id\":\"" + id[1].str() + "\""));
  EXPECT_TRUE(contains(text, "\"status\":404")) << text;
  EXPECT_TRUE(contains(text, "\"client\":\"127.0.0.1\""));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

TEST(Observability, CommonLogFormatIsTraefiksLine) {
  auto log = dataplane::metrics::AccessLog::open("/dev/null", false, {"token"}, 16, nullptr);
  ASSERT_TRUE(log.ok());
  dataplane::metrics::AccessEntry e;
  e.time = std::chrono::system_clock::from_time_t(1'800'000'000);
  e.client = "203.0.113.9";
  e.method = "GET";
  e.target = "/a?token=x&b=\"quoted\"";
  e.status = 200;
  e.bytes_out = 1234;
  e.duration_ms = 12.7;
  e.router = "app@docker";
  e.upstream = "http://172.17.0.2:80";
  e.user_agent = "curl/8";
  e.request_id = "r1";
  EXPECT_EQ(
      (*log)->format(e),
      "203.0.113.9 - - [15/Jan/2027:08:00:00 +0000] \"GET /a?token=REDACTED&b=\\\"quoted\\\" "
      "HTTP/1.1\" 200 1234 \"-\" \"curl/8\" r1 \"app@docker\" \"http://172.17.0.2:80\" 12ms\n");
}

TEST(Observability, AFullLogQueueDropsLinesAndRequestsGoOn) {
  UpstreamServer app("app");
  // The read end of the pipe is never read: once its buffer is full the writer blocks, as it
  // would on a stalled disk or a stdout nobody drains.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string path = "/proc/self/fd/" + std::to_string(fds[1]);
  InProcessDataplane dp{1, {"--access-log", path, "--access-log-queue", "16"}};
  ASSERT_EQ(dp.apply(observed_table(app.url())), "ack");
  HttpClient c(dp.port());
  const std::string fill(3000, 'f');  // Long targets fill the pipe's 64 KiB after ~20 lines.
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(
        c.request("GET", "/" + fill + "?" + std::to_string(i), {{"Host", "app.example"}}).status,
        200u)
        << i;
  }
  auto t = admin_get(dp.admin_port(), "/metrics").body;
  EXPECT_GT(metric_sample(t, "wharf_access_log_dropped_total"), 100) << t;
  // Unblock the writer so the data plane can shut down.
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Observability, SighupReopensTheAccessLog) {
  UpstreamServer app("app");
  TempDir dir;
  const std::string log = dir.path() + "/access.log";
  DataplaneProcess dp({"--access-log", log});
  ASSERT_EQ(dp.apply(observed_table(app.url())), "ack");
  EXPECT_EQ(HttpClient(dp.port()).request("GET", "/first", {{"Host", "app.example"}}).status, 200u);
  auto wait_for = [](const std::string& path, const std::string& text) {
    for (int i = 0; i < 200; ++i) {
      if (contains(read_file(path), text)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for(log, "GET /first"));
  std::filesystem::rename(log, log + ".1");  // What logrotate does...
  ::kill(dp.pid(), SIGHUP);                  // ...and then tells the program.
  // The writer reopens as soon as it is told, even with nothing to write.
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(log); }, 2s, 10ms));
  EXPECT_EQ(HttpClient(dp.port()).request("GET", "/second", {{"Host", "app.example"}}).status,
            200u);
  EXPECT_TRUE(wait_for(log, "GET /second"));
  EXPECT_FALSE(contains(read_file(log + ".1"), "GET /second"));
  EXPECT_EQ(dp.terminate(), 0);
}

TEST(Observability, ReadyzTurnsUnavailableWhileDraining) {
  UpstreamServer app("app");
  DataplaneProcess dp({"--drain-timeout", "10"});
  ASSERT_EQ(dp.apply(observed_table(app.url())), "ack");
  EXPECT_EQ(admin_get(dp.admin_port(), "/readyz").status, 200u);
  // A slow request keeps the drain going while readiness is asked.
  HttpClient slow(dp.port());
  slow.send_raw("GET /slow/1500 HTTP/1.1\r\nHost: app.example\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  ::kill(dp.pid(), SIGTERM);
  Response ready;
  EXPECT_TRUE(eventually(
      [&] { return (ready = admin_get(dp.admin_port(), "/readyz")).status == 503; }, 1s, 10ms));
  EXPECT_EQ(ready.body, "draining\n");
  EXPECT_EQ(slow.read_response().status, 200u);
  EXPECT_EQ(dp.terminate(), 0);
}

}  // namespace
}  // namespace wharf::test
