// The Gateway API's hostname intersection and matching precedence as tables, from the rules and
// examples of the HTTPRoute and Listener documentation.

#include <algorithm>

#include <gtest/gtest.h>

#include "controller/kubernetes/gateway/matching.hpp"

namespace wharf::controller::kubernetes::gateway {
namespace {

TEST(GatewayMatching, HostnamesWildcardsCoverOneOrMoreLabelsButNotTheApex) {
  struct Row {
    const char* pattern;
    const char* name;
    bool covered;
  };
  const Row rows[] = {
      {"*.example.com", "test.example.com", true},  {"*.example.com", "foo.test.example.com", true},
      {"*.example.com", "example.com", false},      {"*.example.com", "*.foo.example.com", true},
      {"*.example.com", "*.example.com", true},     {"*.foo.example.com", "*.example.com", false},
      {"foo.example.com", "foo.example.com", true}, {"foo.example.com", "bar.example.com", false},
      {"*.example.com", "badexample.com", false},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(hostname_covers(r.pattern, r.name), r.covered) << r.pattern << " " << r.name;
  }
}

TEST(GatewayMatching, HostnamesRouteAndListenerIntersectAsTheSpecSays) {
  using V = std::vector<std::string>;
  struct Row {
    std::string listener;
    V route, effective;
  };
  const Row rows[] = {
      {"", {}, {""}},                                  // neither: every host
      {"", {"foo.example.com"}, {"foo.example.com"}},  // listener without hostname
      {"foo.example.com", {}, {"foo.example.com"}},    // route inherits
      {"*.example.com", {"foo.example.com", "bar.other.com"}, {"foo.example.com"}},
      {"foo.example.com", {"*.example.com"}, {"foo.example.com"}},  // route wildcard narrows
      {"*.foo.example.com", {"*.example.com"}, {"*.foo.example.com"}},
      {"*.example.com", {"*.foo.example.com"}, {"*.foo.example.com"}},
      {"foo.example.com", {"bar.example.com"}, {}},  // NoMatchingListenerHostname
      {"*.example.com", {"example.com"}, {}},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(effective_hostnames(r.listener, r.route), r.effective) << r.listener;
  }
}

TEST(GatewayMatching, PrecedenceTheSpecsOrderThenAgeThenNameThenRuleOrder) {
  auto m = [](std::string host, bool exact, std::size_t len, bool method, std::size_t headers,
              std::size_t queries, std::string created, std::string route, std::size_t rule) {
    return MatchOrder{host, exact, len, method, headers, queries, created, route, rule, 0};
  };
  // Listed from the highest precedence to the lowest.
  const std::vector<MatchOrder> ordered = {
      m("foo.example.com", false, 1, false, 0, 0, "2026-01-02T00:00:00Z", "a/x", 0),
      m("*.foo.example.com", true, 4, false, 0, 0, "2026-01-01T00:00:00Z", "a/x", 0),
      m("*.example.com", true, 4, false, 0, 0, "2026-01-01T00:00:00Z", "a/x", 0),
      m("", true, 4, false, 0, 0, "2026-01-01T00:00:00Z", "a/x", 0),     // Exact /path
      m("", false, 10, false, 0, 0, "2026-01-01T00:00:00Z", "a/x", 0),   // longest prefix
      m("", false, 4, true, 0, 0, "2026-01-01T00:00:00Z", "a/x", 0),     // method
      m("", false, 4, false, 2, 0, "2026-01-01T00:00:00Z", "a/x", 0),    // more headers
      m("", false, 4, false, 1, 3, "2026-01-01T00:00:00Z", "a/x", 0),    // then queries
      m("", false, 4, false, 1, 0, "2026-01-01T00:00:00Z", "b/old", 0),  // older route
      m("", false, 4, false, 1, 0, "2026-01-05T00:00:00Z", "a/new", 0),  // then by name
      m("", false, 4, false, 1, 0, "2026-01-05T00:00:00Z", "b/new", 0),
      m("", false, 4, false, 1, 0, "2026-01-05T00:00:00Z", "b/new", 1),  // then rule order
  };
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
    EXPECT_TRUE(precedes(ordered[i], ordered[i + 1])) << i;
    EXPECT_FALSE(precedes(ordered[i + 1], ordered[i])) << i;
  }
  auto shuffled = ordered;
  std::reverse(shuffled.begin(), shuffled.end());
  std::stable_sort(shuffled.begin(), shuffled.end(), precedes);
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    EXPECT_EQ(shuffled[i].route, ordered[i].route) << i;
    EXPECT_EQ(shuffled[i].rule, ordered[i].rule) << i;
  }
}

}  // namespace
}  // namespace wharf::controller::kubernetes::gateway
