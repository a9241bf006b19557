// Load balancing through the real data plane: sticky sessions, power of two choices, and
// what happens when a server goes away under load.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "dataplane/routing/compiled_table.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

model::RoutingTable table_for(const std::vector<const UpstreamServer*>& servers,
                              std::optional<model::StickyCookie> sticky = std::nullopt,
                              std::string strategy = "wrr") {
  auto t = simple_table(1, servers[0]->url());
  for (std::size_t i = 1; i < servers.size(); ++i) {
    t.services[0].servers.push_back({servers[i]->url(), 1});
  }
  t.services[0].sticky = std::move(sticky);
  t.services[0].strategy = std::move(strategy);
  return t;
}

TEST(LoadBalancing, StickyCookiePinsAClientToOneOfThreeServers) {
  UpstreamServer a("a"), b("b"), c("c");
  InProcessDataplane dp{2};
  model::StickyCookie cookie;
  cookie.name = "app_srv";
  cookie.http_only = true;
  cookie.same_site = "lax";
  cookie.max_age = 3600;
  ASSERT_EQ(dp.apply(table_for({&a, &b, &c}, cookie)), "ack");

  HttpClient first(dp.port());
  auto r = first.request("GET", "/");
  ASSERT_EQ(r.status, 200u);
  const std::string set = r.headers["set-cookie"];
  ASSERT_TRUE(set.starts_with("app_srv=")) << set;
  EXPECT_NE(set.find("; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"), std::string::npos) << set;
  // The value names the server without revealing its address.
  EXPECT_EQ(set.find("127.0.0.1"), std::string::npos) << set;
  const std::string value = set.substr(0, set.find(';'));
  const std::string pinned = r.headers["x-upstream"];
  for (int i = 0; i < 12; ++i) {
    HttpClient c2(dp.port());  // New connections, other workers: the cookie alone decides.
    auto again = c2.request("GET", "/", {{"Cookie", "theme=dark; " + value}});
    EXPECT_EQ(again.headers["x-upstream"], pinned) << i;
    EXPECT_EQ(again.headers.count("set-cookie"), 0u);  // Already pinned: nothing to set.
  }
  // Without the cookie, clients spread over all three.
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    seen.insert(HttpClient(dp.port()).request("GET", "/").headers["x-upstream"]);
  }
  EXPECT_EQ(seen.size(), 3u);

  // The pinned server goes away: the next request moves, and the cookie moves with it.
  std::map<std::string, UpstreamServer*> by_name{{"a", &a}, {"b", &b}, {"c", &c}};
  by_name.at(pinned)->kill();
  HttpClient after(dp.port());
  auto moved = after.request("GET", "/", {{"Cookie", value}});
  EXPECT_EQ(moved.status, 200u);
  EXPECT_NE(moved.headers["x-upstream"], pinned);
  EXPECT_TRUE(moved.headers["set-cookie"].starts_with("app_srv=")) << moved.headers["set-cookie"];
  EXPECT_NE(moved.headers["set-cookie"].substr(0, value.size()), value);
}

TEST(LoadBalancing, AServerKilledUnderLoadLosesNoRequestAndIsEjected) {
  UpstreamServer a("a"), b("b"), c("c");
  InProcessDataplane dp{2};
  ASSERT_EQ(dp.apply(table_for({&a, &b, &c})), "ack");
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::atomic<unsigned> failed_status{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      std::optional<HttpClient> c;
      while (!stop) {
        if (!c) c.emplace(dp.port());
        auto r = c->request("GET", "/");
        (r.status == 200 ? ok : failed)++;
        if (r.status != 200) failed_status = r.status;
        if (r.closed) c.reset();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  b.kill();  // Pooled connections to b die, new ones are refused.
  const auto b_served = b.requests_served();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  // Even a request with a body is safe to move when the server could not be reached.
  HttpClient poster(dp.port());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(poster.request("POST", "/upload", {}, "payload").status, 200u);
  }
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0) << "last failure: status " << failed_status.load();
  EXPECT_GT(ok.load(), 100);
  EXPECT_EQ(b.requests_served(), b_served);
  EXPECT_GT(a.requests_served() + c.requests_served(), 100u);
}

TEST(LoadBalancing, AllServersDownIsA503WithRetryAfter) {
  UpstreamServer a("a"), b("b");
  InProcessDataplane dp{1};
  ASSERT_EQ(dp.apply(table_for({&a, &b})), "ack");
  a.kill();
  b.kill();
  HttpClient c(dp.port());
  // The first requests find both refusing (502); once they are ejected the service has no
  // server up: 503 with Retry-After, without trying them for every request.
  unsigned last = 0;
  for (int i = 0; i < 4; ++i) last = c.request("GET", "/").status;
  auto r = c.request("GET", "/");
  EXPECT_EQ(last, 503u);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.headers["retry-after"], "10");
}

// A Gateway API backendRef that cannot be resolved keeps its share: those requests get 500,
// the others reach the server, and a retry never moves a 500 share onto a real server.
TEST(LoadBalancing, AnUnresolvedBackendAnswersItsShareWith500) {
  UpstreamServer a("a");
  InProcessDataplane dp{1};
  auto t = table_for({&a});
  t.services[0].servers[0].weight = 3;
  t.services[0].servers.push_back({"", 1, true});
  ASSERT_EQ(dp.apply(t), "ack");
  HttpClient c(dp.port());
  std::map<unsigned, int> seen;
  for (int i = 0; i < 400; ++i) ++seen[c.request("GET", "/").status];
  EXPECT_EQ(seen[200], 300);
  EXPECT_EQ(seen[500], 100);
  t.services[0].servers.push_back({"http://127.0.0.1:1", 1, true});
  EXPECT_NE(dp.apply(t), "ack");  // An unresolved server names no URL.
}

TEST(LoadBalancing, ActiveHealthChecksTakeAServerOutAndBackIn) {
  UpstreamServer a("a"), b("b");
  InProcessDataplane dp{2};
  auto t = table_for({&a, &b});
  model::HealthCheck hc;
  hc.path = "/health";
  hc.interval_ms = 100;
  hc.timeout_ms = 100;
  t.services[0].health_check = hc;
  ASSERT_EQ(dp.apply(t), "ack");
  auto spread = [&] {
    std::map<std::string, int> n;
    HttpClient c(dp.port());
    for (int i = 0; i < 20; ++i) n[c.request("GET", "/").headers["x-upstream"]]++;
    return n;
  };
  EXPECT_EQ(spread()["b"], 10);
  // b still serves every other path, so only the active check can see it is unwell.
  b.set_health(503);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto out = spread();
  EXPECT_EQ(out["a"], 20);
  EXPECT_EQ(out.count("b"), 0u);
  b.set_health(200);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(spread()["b"], 10);
}

TEST(LoadBalancing, PowerOfTwoChoicesPrefersTheLessBusyServer) {
  model::RoutingTable t;
  t.services.push_back({"s",
                        {{"http://127.0.0.1:7001", 1}, {"http://127.0.0.1:7002", 1}},
                        true,
                        {},
                        "p2c",
                        std::nullopt,
                        std::nullopt,
                        {},
                        {}});
  t.routers.push_back({"r", "PathPrefix(`/`)", 0, {}, "s", false, {}, {}});
  auto built = dataplane::routing::CompiledTable::build(t);
  ASSERT_TRUE(built.ok()) << built.error();
  const auto& svc = *(*built)->services().front();
  // Server 1 has three requests in flight, server 2 none: only a draw of server 1 twice
  // (one time in four) picks it.
  dataplane::routing::ServerState::InFlight b1(*svc.servers[0].state), b2(*svc.servers[0].state),
      b3(*svc.servers[0].state);
  int second = 0;
  for (int i = 0; i < 400; ++i) second += svc.pick() == &svc.servers[1];
  EXPECT_GT(second, 250);  // Expected 300; round robin would give 200.
}

}  // namespace
}  // namespace wharf::test
