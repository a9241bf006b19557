#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "controller/kubernetes/gateway/listeners.hpp"
#include "controller/kubernetes/gateway/matching.hpp"

namespace wharf::controller::kubernetes::gateway {

// Translates the routes (HTTPRoute, GRPCRoute) attached to our Gateways' listeners: routers,
// one service per rule, middlewares for the filters, and each route's status.
class RouteBuilder {
 public:
  RouteBuilder(const Snapshot& snap, const Index& index, std::vector<GatewayView>& gateways,
               model::ProviderConfig& out)
      : snap_(snap), index_(index), gateways_(gateways), out_(out) {}

  // Adds one route's routers and returns its report; `now` stamps changed conditions.
  RouteReport add(const HttpRoute& route, const std::string& now);
  // Gives every router added a priority from the spec's precedence (highest first).
  void assign_priorities();

 private:
  // A rule as every router serving it shares it: its service, or why it is closed (500).
  struct Rule {
    std::string service;
    std::string closed;  // Why the rule cannot be served as written (UnsupportedValue).
    std::string resolved_reason, resolved_message;  // ResolvedRefs=False, the first one.
  };
  // Where a route serves: a listener and the hostnames it intersects to there.
  struct Placement {
    const ListenerView* listener;
    std::vector<std::string> hostnames;
  };

  Rule rule(const HttpRoute& route, std::size_t i);
  std::string backend_service(const HttpRoute& route, std::size_t i, Rule& rule);
  // The parent's condition set, and where the route serves on it.
  RouteParentStatus attach(const HttpRoute& route, const ObjectRef& parent,
                           std::vector<Placement>& placements, std::string& problem);
  // Rule text for one match on one hostname, or why it cannot be written.
  std::string match_rule(const HttpRoute& route, const HttpMatch& m, const std::string& host,
                         std::string& why) const;
  // The middlewares of a rule's filters for one match on one listener.
  std::vector<std::string> filters(const HttpRoute& route, std::size_t rule, std::size_t match,
                                   const ListenerView& listener, std::string& why);
  std::string middleware(std::string name, std::string type,
                         std::vector<std::pair<std::string, std::string>> options,
                         const std::string& source);
  void add_routers(const HttpRoute& route, const std::vector<Placement>& placements,
                   std::vector<Rule>& rules);
  std::string closed_service();

  const Snapshot& snap_;
  const Index& index_;
  std::vector<GatewayView>& gateways_;
  model::ProviderConfig& out_;
  std::set<std::string> made_;              // Routers, services and middlewares by name.
  std::set<const ListenerView*> attached_;  // Listeners the current route counts on.
  std::vector<std::pair<std::size_t, MatchOrder>> ordered_;  // Router index, its precedence.
};

// "httproute <namespace>/<name>" (or grpcroute), how messages name a route.
std::string where(const HttpRoute& route);
// "httproute.<namespace>.<name>": what the names of a route's routers, services and
// middlewares begin with.
std::string route_prefix(const HttpRoute& route);

}  // namespace wharf::controller::kubernetes::gateway
