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

namespace wharf::dataplane::routing {
namespace {

// TCP routers compiled with the table: matched per entrypoint by priority (0: the rule's
// length) then name, TLS routers for TLS connections and the others for plain ones; servers
// resolved once, a name that does not resolve kept with its reason.
TEST(CompiledTable, TcpRoutersMatchByPriorityPerEntrypoint) {
  model::RoutingTable t;
  t.tcp_services.push_back({"mail@file", {{"127.0.0.1:993", 1}, {"no-such-host.invalid:1", 1}}, 2});
  t.tcp_services.push_back({"git@file", {{"[::1]:22", 3}}, 0});
  t.tcp_routers.push_back(
      {"imaps@file", "HostSNI(`mail.example.com`)", 0, {"imaps"}, "mail@file", "passthrough", ""});
  t.tcp_routers.push_back(
      {"any-tls@file", "HostSNIRegexp(`.+`)", 1, {"imaps"}, "git@file", "passthrough", ""});
  t.tcp_routers.push_back({"ssh@file", "HostSNI(`*`)", 0, {"ssh"}, "git@file", "", ""});
  ASSERT_TRUE(model::validate(t).ok()) << model::validate(t).error();
  auto table = CompiledTable::build(t);
  ASSERT_TRUE(table.ok()) << table.error();
  const auto& s = (*table)->streams();

  const std::vector<std::string> alpn;
  auto routed = [&](std::string_view ep, std::string_view sni, bool tls = true) {
    const auto* r = s.match(ep, rules::ConnectionView{sni, &alpn, nullptr}, tls);
    return r ? r->name : std::string();
  };
  // The named router's rule is longer than the other's priority of 1.
  EXPECT_EQ(routed("imaps", "mail.example.com"), "imaps@file");
  EXPECT_EQ(routed("imaps", "other.example.com"), "any-tls@file");
  EXPECT_EQ(routed("imaps", "", false), "");  // Not TLS: nothing on imaps takes it.
  EXPECT_EQ(routed("ssh", "", false), "ssh@file");
  EXPECT_EQ(routed("ssh", "a.example"), "");  // TLS: only TLS routers take it.
  EXPECT_EQ(routed("web", "mail.example.com"), "");
  EXPECT_TRUE(s.any_on("ssh", false));
  EXPECT_FALSE(s.any_on("ssh", true));
  EXPECT_TRUE(s.any_on("imaps", true));
  EXPECT_FALSE(s.any_on("web", true));

  const auto* mail =
      s.match("imaps", rules::ConnectionView{"mail.example.com", &alpn, nullptr}, true);
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(mail->tls, CompiledTcpRouter::Tls::kPassthrough);
  ASSERT_EQ(mail->service->servers.size(), 2u);
  EXPECT_EQ(mail->service->proxy_protocol, 2u);
  EXPECT_EQ(mail->service->servers[0].endpoint.port(), 993);
  EXPECT_TRUE(mail->service->servers[0].resolve_error.empty());
  EXPECT_NE(mail->service->servers[1].resolve_error.find("cannot resolve 'no-such-host.invalid'"),
            std::string::npos);
}

}  // namespace
}  // namespace wharf::dataplane::routing
