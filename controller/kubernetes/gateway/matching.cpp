#include "controller/kubernetes/gateway/matching.hpp"

#include <algorithm>
#include <tuple>

namespace wharf::controller::kubernetes::gateway {
namespace {

// Hostname specificity, as HTTPRoute's hostnames documentation orders intersecting ones: a
// non-wildcard name first, then the one with the most characters, then "any".
std::tuple<int, std::size_t> specificity(std::string_view host) {
  if (host.empty()) return {0, 0};
  return {host.starts_with("*.") ? 1 : 2, host.size()};
}

}  // namespace

bool hostname_covers(std::string_view pattern, std::string_view name) {
  if (pattern == name) return true;
  if (!pattern.starts_with("*.")) return false;
  const std::string_view suffix = pattern.substr(1);  // ".example.com"
  if (name.starts_with("*.")) name.remove_prefix(1);  // A wildcard within the pattern's.
  return name.size() > suffix.size() && name.ends_with(suffix) &&
         name.substr(0, name.size() - suffix.size()) != ".";
}

std::vector<std::string> effective_hostnames(const std::string& listener_hostname,
                                             const std::vector<std::string>& route_hostnames) {
  if (listener_hostname.empty()) {
    return route_hostnames.empty() ? std::vector<std::string>{""} : route_hostnames;
  }
  if (route_hostnames.empty()) return {listener_hostname};
  std::vector<std::string> out;
  for (const auto& h : route_hostnames) {
    std::string effective;
    if (hostname_covers(listener_hostname, h)) {
      effective = h;
    } else if (hostname_covers(h, listener_hostname)) {
      effective = listener_hostname;
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), effective) == out.end()) out.push_back(effective);
  }
  return out;
}

bool precedes(const MatchOrder& a, const MatchOrder& b) {
  if (specificity(a.hostname) != specificity(b.hostname)) {
    return specificity(a.hostname) > specificity(b.hostname);
  }
  auto key = [](const MatchOrder& m) {
    return std::make_tuple(m.exact_path, m.path_length, m.method, m.headers, m.query_params);
  };
  if (key(a) != key(b)) return key(a) > key(b);
  return std::tie(a.created, a.route, a.rule, a.match) <
         std::tie(b.created, b.route, b.rule, b.match);
}

}  // namespace wharf::controller::kubernetes::gateway
