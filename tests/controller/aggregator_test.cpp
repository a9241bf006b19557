#include <gtest/gtest.h>

#include "controller/provider/aggregator.hpp"

namespace wharf::controller {
namespace {

using namespace std::chrono_literals;

model::ProviderConfig one_router(const std::string& host) {
  model::ProviderConfig p;
  model::ConfigRouter r;
  r.name = "r";
  r.rule = "Host(`" + host + "`)";
  r.service = "s";
  p.routers.push_back(r);
  model::ConfigService s;
  s.name = "s";
  p.services.push_back(s);
  return p;
}

struct Fixture {
  asio::io_context io;
  Stats stats;
  std::vector<model::RoutingTable> published;
  Aggregator agg;
  explicit Fixture(std::vector<std::string> providers, std::chrono::milliseconds sync_timeout = 10s)
      : agg(io.get_executor(), std::move(providers), 20ms, sync_timeout, stats,
            [this](const model::RoutingTable& t) { published.push_back(t); }) {
    agg.start();
  }
  // Runs the io_context until nothing is pending or `d` passed.
  void run_for(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }
};

TEST(Aggregator, WaitsForEveryProviderFirstSync) {
  Fixture f({"docker", "file"});
  f.agg.update("docker", one_router("a"));
  f.run_for(100ms);
  EXPECT_TRUE(f.published.empty());
  f.agg.update("file", {});
  f.run_for(100ms);
  ASSERT_EQ(f.published.size(), 1u);
  EXPECT_EQ(f.published[0].routers.at(0).name, "r@docker");
}

TEST(Aggregator, FoldsBurstsAndDropsUnchangedResults) {
  Fixture f({"docker"});
  for (int i = 0; i < 5; ++i) f.agg.update("docker", one_router("h" + std::to_string(i)));
  f.run_for(100ms);
  ASSERT_EQ(f.published.size(), 1u);
  EXPECT_EQ(f.published[0].routers.at(0).rule, "Host(`h4`)");
  f.agg.update("docker", one_router("h4"));  // same result again
  f.run_for(100ms);
  EXPECT_EQ(f.published.size(), 1u);
  f.agg.update("docker", one_router("h5"));
  f.run_for(100ms);
  EXPECT_EQ(f.published.size(), 2u);
  EXPECT_EQ(f.stats.get("provider_syncs_total", "docker"), 7u);
}

TEST(Aggregator, PublishesWithoutALateProviderAfterTheTimeout) {
  Fixture f({"docker", "file"}, 150ms);
  f.agg.update("file", one_router("f"));
  f.run_for(100ms);
  EXPECT_TRUE(f.published.empty());
  f.run_for(300ms);
  ASSERT_EQ(f.published.size(), 1u);
  EXPECT_EQ(f.published[0].routers.at(0).name, "r@file");
}

TEST(Aggregator, CountsEachNewRejectionOnce) {
  Fixture f({"docker"});
  auto bad = one_router("x");
  bad.routers[0].errors.push_back("label: broken");
  f.agg.update("docker", bad);
  f.run_for(100ms);
  f.agg.update("docker", bad);
  f.run_for(100ms);
  EXPECT_EQ(f.stats.get("rejected_objects_total", "router"), 1u);
  EXPECT_EQ(f.stats.get("rejected_objects", "router"), 1u);
  f.agg.update("docker", one_router("x"));
  f.run_for(100ms);
  EXPECT_EQ(f.stats.get("rejected_objects", "router"), 0u);
}

}  // namespace
}  // namespace wharf::controller
