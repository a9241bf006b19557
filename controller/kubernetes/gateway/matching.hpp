#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::controller::kubernetes::gateway {

// The Gateway API's matching rules that decide which route rule answers, independent of how
// they become Wharf routers.

// Whether `name` is covered by `pattern`: equal, or `pattern` is `*.suffix` and `name` ends in
// `.suffix` with at least one label before it (any number of labels, as the Gateway API's
// wildcards match). A wildcard `name` is covered by a wildcard `pattern` it is within.
bool hostname_covers(std::string_view pattern, std::string_view name);

// The hostnames a route serves on a listener (the spec's intersection): a listener without
// hostname takes the route's as they are; a route without hostnames takes the listener's;
// otherwise each route hostname the listener covers, and a route wildcard covering the
// listener's hostname yields the listener's. Empty result with both set:
// NoMatchingListenerHostname. `{""}` means every host.
std::vector<std::string> effective_hostnames(const std::string& listener_hostname,
                                             const std::vector<std::string>& route_hostnames);

// One match of one rule, with what decides its precedence among all matches of the routes
// attached to a listener (Gateway API, HTTPRoute "Matching precedence"): the most specific
// hostname (non-wildcard, then the most characters), then Exact over PathPrefix, the longest path,
// a method match, the most header matches, the most query matches; ties to the oldest route, then
// namespace/name order, then the first rule and match.
struct MatchOrder {
  std::string hostname;     // The effective hostname ("" for any).
  bool exact_path = false;  // Exact (a RegularExpression counts as neither).
  std::size_t path_length = 0;
  bool method = false;
  std::size_t headers = 0, query_params = 0;
  std::string created;  // The route's creationTimestamp.
  std::string route;    // "namespace/name"
  std::size_t rule = 0, match = 0;
};

// True when `a` takes precedence over `b`.
bool precedes(const MatchOrder& a, const MatchOrder& b);

}  // namespace wharf::controller::kubernetes::gateway
