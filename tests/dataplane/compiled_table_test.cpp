#include "dataplane/routing/compiled_table.hpp"

#include <gtest/gtest.h>

namespace wharf::dataplane::routing {
namespace {

model::RoutingTable big_table(int hosts) {
  model::RoutingTable t;
  t.version = 1;
  t.services.push_back(
      {"s@t", {{"http://127.0.0.1:9", 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}});
  for (int i = 0; i < hosts; ++i) {
    auto h = "host-" + std::to_string(i) + ".test";
    t.routers.push_back(
        {"r" + std::to_string(i), "Host(`" + h + "`)", 0, {}, "s@t", false, {}, {}});
    t.routers.push_back({"api" + std::to_string(i),
                         "Host(`" + h + "`) && PathPrefix(`/api`)",
                         0,
                         {},
                         "s@t",
                         false,
                         {},
                         {}});
  }
  t.routers.push_back({"wild", "Host(`*.wild.test`)", 0, {}, "s@t", false, {}, {}});
  t.routers.push_back({"health", "Path(`/health`)", 100000, {}, "s@t", false, {}, {}});
  t.routers.push_back({"fallback", "PathPrefix(`/`)", 1, {}, "s@t", false, {}, {}});
  t.routers.push_back({"admin-only", "PathPrefix(`/`)", 2, {"admin"}, "s@t", false, {}, {}});
  return t;
}

struct Probe {
  const CompiledRouter* router = nullptr;
  std::size_t tried = 0;
};

Probe probe(const CompiledTable& t, std::string_view host, std::string_view path,
            std::string_view ep = "web") {
  rules::RequestView v{"GET", host, path, "", nullptr, nullptr};
  Probe p;
  p.router = t.match(ep, v, &p.tried);
  return p;
}

TEST(CompiledTable, MatchCostDoesNotGrowWithTheNumberOfHosts) {
  auto built = CompiledTable::build(big_table(10'000));
  ASSERT_TRUE(built.ok()) << built.error();
  const auto& t = **built;
  // The host's two routers (longer rule first), then the host-less ones.
  auto p = probe(t, "host-9999.test", "/api/x");
  ASSERT_TRUE(p.router);
  EXPECT_EQ(p.router->name, "api9999");
  EXPECT_EQ(p.tried, 2u);  // "health" (priority 100000) was tried first and did not match.
  p = probe(t, "host-42.test", "/");
  EXPECT_EQ(p.router->name, "r42");
  EXPECT_LE(p.tried, 3u);
  // Priority is global: the host-less router with the highest priority wins over host routers.
  EXPECT_EQ(probe(t, "host-7.test", "/health").router->name, "health");
  EXPECT_EQ(probe(t, "a.wild.test", "/").router->name, "wild");
  EXPECT_EQ(probe(t, "b.a.wild.test", "/").router->name, "fallback");
  p = probe(t, "unknown.test", "/");
  EXPECT_EQ(p.router->name, "fallback");
  EXPECT_EQ(p.tried, 2u);
  // Routers bound to another entrypoint are skipped without evaluating their rule.
  EXPECT_EQ(probe(t, "unknown.test", "/", "admin").router->name, "admin-only");
}

TEST(CompiledTable, WeightedRoundRobinIsSmoothAndSkipsZeroWeights) {
  model::RoutingTable t;
  t.services.push_back(
      {"s",
       {{"http://127.0.0.1:1", 5}, {"http://127.0.0.1:2", 1}, {"http://127.0.0.1:3", 0}},
       true,
       {},
       "wrr",
       std::nullopt,
       std::nullopt,
       {},
       {}});
  t.routers.push_back({"r", "PathPrefix(`/`)", 0, {}, "s", false, {}, {}});
  auto b = CompiledTable::build(t);
  ASSERT_TRUE(b.ok());
  const auto* svc = probe(**b, "x", "/").router->service;
  std::string order;
  for (int i = 0; i < 12; ++i) order += svc->pick()->url.back();
  // Smooth: the heavy server's turns are spread out, never six in a row; port 3 never appears.
  EXPECT_EQ(order, "111211111211");
  EXPECT_EQ(order.find('3'), std::string::npos);
}

}  // namespace
}  // namespace wharf::dataplane::routing
