// What operators look at: the dashboard in a real browser (headless Chromium) over a table of
// 5,000 routers, and the Grafana dashboard's queries against the metrics both processes expose.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "controller/app/metrics.hpp"
#include "test_common/certificates.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/misbehaving_server.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// 5,000 routers on 50 services (one of which has a server that is down), and a few objects
// the controller rejected.
model::RoutingTable big_table(const std::string& up_url) {
  model::RoutingTable t;
  t.version = 7;
  for (int s = 0; s < 50; ++s) {
    model::Service svc;
    svc.name = "app-" + std::to_string(s) + "@docker";
    svc.servers = {{up_url, 1}};
    if (s == 3) svc.servers.push_back({"http://127.0.0.1:1", 1});
    t.services.push_back(svc);
  }
  for (int i = 0; i < 5000; ++i) {
    model::Router r;
    r.name = "router-" + std::to_string(i) + "@docker";
    r.rule = "Host(`app" + std::to_string(i) + ".home.example`)";
    r.service = "app-" + std::to_string(i % 50) + "@docker";
    r.entrypoints = {"web"};
    t.routers.push_back(r);
  }
  t.diagnostics.push_back({"router", "jellyfin@docker",
                           "label wharf.http.routers.jellyfin.rule=Host(`jf`: column 12: "
                           "expected ',' or ')', found end of rule"});
  t.diagnostics.push_back({"service", "immich@docker",
                           "label wharf.http.services.immich.loadbalancer.server.port=http: "
                           "expected a port number between 1 and 65535"});
  return t;
}

// Headless Chromium as the workplace runs it: no sandbox (root), no GPU, no background
// networking (the machine's network is closed), a fresh profile.
CommandResult chromium(const std::string& profile, std::vector<std::string> args) {
  std::vector<std::string> argv = {"chromium",
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + profile,
                                   "--virtual-time-budget=5000"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

TEST(ObservabilityEndToEnd,
     DashboardShowsFiveThousandRoutersWithSearchPagingHealthRejectsAndCertificates) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian's chromium is needed (scripts/test.sh installs it)";
  UpstreamServer app("app");
  InProcessDataplane dp{1};
  auto table = big_table(app.url());
  Certificates made;
  table.certificates = {made.exact};
  table.certificate_status.push_back({"dns",
                                      {"*.home.example", "home.example"},
                                      "router-1@docker",
                                      "",
                                      "failing",
                                      "adding TXT _acme-challenge.home.example in zone "
                                      "home.example at 192.0.2.53:53: the server answered REFUSED",
                                      0,
                                      1893456060});
  ASSERT_EQ(dp.apply(table), "ack");
  HttpClient c(dp.port());
  for (int i = 0; i < 20; ++i) c.request("GET", "/", {{"Host", "app0.home.example"}});
  TempDir profile;
  const std::string base = "http://127.0.0.1:" + std::to_string(dp.admin_port()) + "/dashboard/";

  auto page = chromium(profile.path(), {"--dump-dom", base});
  ASSERT_EQ(page.status, 0) << page.out;
  const auto& dom = page.out;
  EXPECT_TRUE(contains(dom, "table version 7")) << dom.substr(0, 3000);
  EXPECT_TRUE(contains(dom, "5,000</div><div class=\"l\">Routers")) << dom.substr(0, 3000);
  EXPECT_TRUE(contains(dom, "page 1 of 100 · 5,000 match")) << dom.substr(0, 3000);
  EXPECT_TRUE(contains(dom, "router-0@docker"));
  EXPECT_FALSE(contains(dom, "router-50@docker")) << "one page of 50 rows at a time";
  EXPECT_TRUE(contains(dom, "Rejected (2)"));

  auto found = chromium(profile.path(), {"--dump-dom", base + "#tab=routers&search=router-4999"});
  EXPECT_TRUE(contains(found.out, "router-4999@docker"));
  EXPECT_TRUE(contains(found.out, "page 1 of 1 · 1 match")) << found.out.substr(0, 3000);

  auto rejected = chromium(profile.path(), {"--dump-dom", base + "#tab=rejected"});
  EXPECT_TRUE(contains(rejected.out, "expected a port number between 1 and 65535"));

  // Certificates: names, issuer, expiry; an ACME one failing, with its reason and next try.
  auto certs = chromium(profile.path(), {"--dump-dom", base + "#tab=certificates"});
  EXPECT_TRUE(contains(certs.out, "<code>exact@test</code>")) << certs.out.substr(0, 3000);
  EXPECT_TRUE(contains(certs.out, "<td>a.example</td>")) << certs.out.substr(0, 3000);
  EXPECT_TRUE(contains(certs.out,
                       ">failing</span> dns<br><span class=\"reason\">adding TXT "
                       "_acme-challenge.home.example in zone home.example"))
      << certs.out.substr(0, 3000);
  EXPECT_TRUE(contains(certs.out, "retry 2030-01-01T00:01:00Z")) << certs.out.substr(0, 3000);

  // Three refused connections eject app-3's server for 10 s (ServerState): made just before
  // the page that shows it, since the pages before take seconds each on a loaded machine.
  for (int i = 0; i < 4; ++i) c.request("GET", "/", {{"Host", "app3.home.example"}});
  auto services = chromium(profile.path(), {"--dump-dom", base + "#tab=services&search=app-3@"});
  EXPECT_TRUE(contains(services.out, "app-3@docker"));
  EXPECT_TRUE(contains(services.out, ">DOWN</span>")) << services.out.substr(0, 3000);

  // The picture in docs/ (WHARF_DASHBOARD_SCREENSHOT=docs/dashboard.png writes it there).
  const char* wanted = std::getenv("WHARF_DASHBOARD_SCREENSHOT");
  const std::string png = wanted ? wanted : profile.path() + "/dashboard.png";
  auto shot = chromium(profile.path(), {"--screenshot=" + png, "--window-size=1440,1000",
                                        "--hide-scrollbars", base});
  ASSERT_EQ(shot.status, 0) << shot.out;
  auto bytes = read_file(png);
  ASSERT_GT(bytes.size(), 20'000u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
}

// Every metric a panel of deploy/grafana-dashboard.json queries is one the data plane or the
// controller exposes, so the dashboard cannot silently show nothing after a rename.
TEST(ObservabilityEndToEnd, GrafanaDashboardEveryQueryUsesAnExposedMetric) {
  rapidjson::Document doc;
  auto text = read_file(std::string(WHARF_SOURCE_DIR) + "/deploy/grafana-dashboard.json");
  doc.Parse(text.c_str());
  ASSERT_FALSE(doc.HasParseError());
  std::set<std::string> queried;
  const std::regex name("wharf_[a-z_]+");
  const rapidjson::Value& panels = doc["panels"];
  ASSERT_GT(panels.Size(), 8u);
  for (const auto& p : panels.GetArray()) {
    for (const auto& target : p["targets"].GetArray()) {
      std::string expr = target["expr"].GetString();
      for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it) {
        queried.insert(std::regex_replace(it->str(), std::regex("_(bucket|count|sum)$"), ""));
      }
    }
  }

  // The data plane's families, after traffic that creates every labelled series.
  UpstreamServer app("app");
  MisbehavingServer silent(MisbehavingServer::Mode::kSilent);
  InProcessDataplane dp{1};
  auto t = simple_table(1, app.url(), "Host(`app`)");
  for (const auto& [name, url] :
       {std::pair{"dead", std::string("http://127.0.0.1:1")}, std::pair{"slow", silent.url()}}) {
    model::Router r;
    r.name = r.service = std::string(name) + "@test";
    r.rule = "Host(`" + std::string(name) + "`)";
    t.routers.push_back(r);
    model::Service s;
    s.name = r.service;
    s.servers = {{url, 1}};
    s.timeouts.response_header_ms = 100;
    t.services.push_back(s);
  }
  ASSERT_EQ(dp.apply(t), "ack");
  for (const char* host : {"app", "dead", "slow"}) {
    HttpClient(dp.port()).request("GET", "/", {{"Host", host}});
  }
  // A worker counts an exchange just after its reply is written: wait until the scrape, from
  // the admin thread, sees the last of these (the timeout).
  std::string exposed;
  for (int i = 0; i < 100; ++i) {
    exposed = HttpClient(dp.admin_port()).request("GET", "/metrics").body;
    if (contains(exposed, "wharf_upstream_timeouts_total{")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The controller's, with every stat it keeps set once.
  controller::Stats stats;
  for (const char* s :
       {"provider_events_total", "provider_syncs_total", "provider_errors_total", "provider_synced",
        "rejected_objects_total", "rejected_objects", "pushes_total", "table_objects",
        "acme_certificates_total", "acme_failures_total"}) {
    stats.add(s, "x");
  }
  stats.set("leader", "", 1);
  exposed += controller::expose_metrics(stats);
  for (const auto& metric : queried) {
    EXPECT_TRUE(contains(exposed, "# TYPE " + metric + " ")) << metric << " is not exposed";
  }
  EXPECT_GE(queried.size(), 15u);
}

}  // namespace
}  // namespace wharf::test
