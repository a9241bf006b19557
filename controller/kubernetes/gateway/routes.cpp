#include <algorithm>

#include "controller/kubernetes/gateway/conditions.hpp"
#include "controller/kubernetes/gateway/references.hpp"
#include "controller/kubernetes/gateway/route_builder.hpp"
#include "rules/parser.hpp"
#include "text/ascii.hpp"
#include "text/literals.hpp"

// Route attachment and the routers of HTTPRoutes and GRPCRoutes.
namespace wharf::controller::kubernetes::gateway {
namespace {

// Gateway routers rank above the other providers' (Ingress priorities stay below 4 × 10^9),
// so an HTTPRoute taking over a host from an Ingress wins while both exist.
constexpr std::int64_t kPriorityBase = 10'000'000'000;

// "`text`" in the rule language, which has no escapes: a backtick cannot be written.
bool quotable(const std::string& s) {
  return s.find('`') == std::string::npos;
}

std::string quoted(const std::string& s) {
  return "`" + s + "`";
}

// A Gateway API hostname as a rule: exact names by Host, wildcards (any number of labels, not
// the apex) by an anchored HostRegexp.
std::string host_rule(const std::string& host) {
  if (host.empty()) return {};
  if (!host.starts_with("*.")) return "Host(" + quoted(host) + ")";
  return "HostRegexp(" + quoted("^[^.]+(\\.[^.]+)*" + text::regex_literal(host.substr(1)) + "$") +
         ")";
}

// Router names say where they come from: <kind>.<ns>.<route>.rule<i>.match<j>.<ep>.<host>.
std::string host_part(const std::string& host) {
  if (host.empty()) return "any";
  return host.starts_with("*.") ? "wildcard" + host.substr(1) : host;
}

bool namespace_allowed(const Snapshot& snap, const ListenerView& l, const std::string& ns) {
  const Listener& spec = *l.spec;
  if (spec.namespaces_from == "All") return true;
  if (spec.namespaces_from == "Same") return ns == l.gateway->meta.ns;
  if (spec.namespaces_from != "Selector" || !spec.namespaces_selector) return false;
  static const std::map<std::string, std::string> kNoLabels;
  const std::map<std::string, std::string>* labels = &kNoLabels;
  for (const auto& n : snap.namespaces) {
    if (n.meta.name == ns) labels = &n.meta.labels;
  }
  return selector_matches(*spec.namespaces_selector, *labels);
}

}  // namespace

std::string where(const HttpRoute& route) {
  return text::lower(route.kind) + " " + route.meta.ns + "/" + route.meta.name;
}

std::string route_prefix(const HttpRoute& route) {
  return text::lower(route.kind) + "." + route.meta.ns + "." + route.meta.name;
}

RouteParentStatus RouteBuilder::attach(const HttpRoute& route, const ObjectRef& parent,
                                       std::vector<Placement>& placements, std::string& problem) {
  RouteParentStatus ps{parent, kControllerName, {}};
  const std::string ns = parent.ns.empty() ? route.meta.ns : parent.ns;
  GatewayView* gv = nullptr;
  for (auto& g : gateways_) {
    if (g.gateway->meta.ns == ns && g.gateway->meta.name == parent.name) gv = &g;
  }
  const std::int64_t gen = route.meta.generation;
  auto refuse = [&](const char* reason, std::string message) {
    problem = "parentRef gateway " + ns + "/" + parent.name + ": " + message;
    ps.conditions.push_back(condition("Accepted", false, reason, message, gen));
    return ps;
  };
  std::vector<ListenerView*> candidates;
  for (auto& l : gv->listeners) {
    if (!parent.section_name.empty() && l.spec->name != parent.section_name) continue;
    if (parent.port != 0 && l.spec->port != parent.port) continue;
    candidates.push_back(&l);
  }
  if (candidates.empty()) {
    return refuse(
        "NoMatchingParent",
        "the Gateway has no listener" +
            (parent.section_name.empty() ? std::string() : " named " + parent.section_name) +
            (parent.port ? " on port " + std::to_string(parent.port) : std::string()));
  }
  std::vector<ListenerView*> allowed;
  for (auto* l : candidates) {
    const bool kind_ok =
        std::find(l->kinds.begin(), l->kinds.end(),
                  std::pair<std::string, std::string>{kGroup, route.kind}) != l->kinds.end();
    if (kind_ok && namespace_allowed(snap_, *l, route.meta.ns)) allowed.push_back(l);
  }
  if (allowed.empty()) {
    return refuse("NotAllowedByListeners", "no listener allows a " + route.kind +
                                               " from namespace " + route.meta.ns +
                                               " (allowedRoutes)");
  }
  bool hostname_match = false, served = false;
  for (auto* l : allowed) {
    if (attached_.insert(l).second) ++l->attached;
    auto hosts = effective_hostnames(l->spec->hostname, route.hostnames);
    if (hosts.empty()) continue;
    hostname_match = true;
    if (!l->ready) continue;
    served = true;
    placements.push_back({l, std::move(hosts)});
  }
  if (!hostname_match) {
    return refuse("NoMatchingListenerHostname",
                  "no hostname of the route is within a listener's hostname");
  }
  if (!served) {
    return refuse("NoMatchingParent",
                  "the listeners it attaches to are not served (see the Gateway's status)");
  }
  ps.conditions.push_back(condition("Accepted", true, "Accepted", "", gen));
  return ps;
}

std::string RouteBuilder::match_rule(const HttpRoute& route, const HttpMatch& m,
                                     const std::string& host, std::string& why) const {
  std::vector<std::string> parts;
  const auto join = [&parts] {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : " && ") + p;
    return out.empty() ? std::string("PathPrefix(`/`)") : out;
  };
  // What cannot be written closes the match with what could be written so far (its host and
  // path), so the 500s cover at least every request the match was meant for.
  const auto fail = [&](std::string message) {
    why = std::move(message);
    return join();
  };
  if (!quotable(
          host)) {  // The API validates hostnames; a cluster without the CRD's schema may not.
    why = "hostname '" + host + "': a backtick cannot be matched";
    return "PathPrefix(`/`)";
  }
  if (!host.empty()) parts.push_back(host_rule(host));
  const std::string type = m.path_type.empty() ? "PathPrefix" : m.path_type;
  const std::string value = m.path_value.empty() ? "/" : m.path_value;
  if (!quotable(value)) return fail("path '" + value + "': a backtick cannot be matched");
  if (route.kind == "GRPCRoute" && type == "Exact" && value.ends_with("/")) {
    parts.push_back("PathPrefix(" + quoted(value) + ")");  // A service alone: every method.
  } else if (route.kind == "GRPCRoute" && type == "Exact" && value.starts_with("//")) {
    // A method of any service.
    parts.push_back("PathRegexp(" +
                    quoted("^/[^/]+/" + text::regex_literal(value.substr(2)) + "$") + ")");
  } else if (type == "Exact") {
    parts.push_back("Path(" + quoted(value) + ")");
  } else if (type == "PathPrefix") {
    if (route.kind == "GRPCRoute") {
      parts.push_back("PathPrefix(" + quoted(value) + ")");  // "/service/": every method
    } else if (value != "/") {
      parts.push_back("PathSegmentPrefix(" + quoted(value) + ")");
    }
  } else if (type == "RegularExpression") {
    const std::string regexp = "PathRegexp(" + quoted("^(?:" + value + ")$") + ")";
    if (auto parsed = rules::parse(regexp); !parsed) {
      return fail("path '" + value + "': " + parsed.error());
    }
    parts.push_back(regexp);
  } else {
    return fail("path type '" + type + "' is not one of Exact, PathPrefix, RegularExpression");
  }
  std::set<std::string> seen;  // Only the first match of a header name counts (the spec's).
  for (const auto* list : {&m.headers, &m.query_params}) {
    const bool header = list == &m.headers;
    for (const auto& v : *list) {
      const std::string key = header ? text::lower(v.name) : v.name;
      if (!seen.insert((header ? "h:" : "q:") + key).second) continue;
      const std::string what =
          std::string(header ? "header" : "query parameter") + " '" + v.name + "'";
      if (!quotable(v.name) || !quotable(v.value)) {
        return fail(what + ": a backtick cannot be matched");
      }
      const std::string t = v.type.empty() ? "Exact" : v.type;
      std::string matcher = header ? "Header" : "Query";
      if (t == "RegularExpression") {
        matcher += "Regexp";
      } else if (t != "Exact") {
        return fail(what + ": match type '" + t + "' is not one of Exact, RegularExpression");
      }
      const std::string matched = matcher + "(" + quoted(v.name) + ", " + quoted(v.value) + ")";
      if (auto parsed = rules::parse(matched); !parsed) return fail(what + ": " + parsed.error());
      parts.push_back(matched);
    }
  }
  if (!m.method.empty()) {
    if (!quotable(m.method)) return fail("method: a backtick cannot be matched");
    parts.push_back("Method(" + quoted(m.method) + ")");
  }
  return join();
}

void RouteBuilder::add_routers(const HttpRoute& route, const std::vector<Placement>& placements,
                               std::vector<Rule>& rules) {
  const std::string base = route_prefix(route);
  static const std::vector<HttpMatch> kEverything{HttpMatch{}};
  std::vector<std::pair<std::size_t, std::size_t>> made;  // Router index, rule index.
  for (const auto& p : placements) {
    const ListenerView& l = *p.listener;
    const std::string ep = l.entrypoint + (l.tls ? "-tls" : "");
    for (std::size_t i = 0; i < route.rules.size(); ++i) {
      const auto& matches = route.rules[i].matches.empty() ? kEverything : route.rules[i].matches;
      for (std::size_t j = 0; j < matches.size(); ++j) {
        std::vector<std::string> middlewares;
        if (rules[i].closed.empty()) {
          middlewares = filters(route, i, j, l, rules[i].closed);
        }
        for (const auto& host : p.hostnames) {
          model::ConfigRouter r;
          r.name = base + ".rule" + std::to_string(i) + ".match" + std::to_string(j) + "." + ep +
                   "." + host_part(host);
          if (!made_.insert("router " + r.name).second) continue;  // Two listeners, one place.
          std::string why;
          r.rule = match_rule(route, matches[j], host, why);
          if (!why.empty() && rules[i].closed.empty()) {
            // Closed rather than dropped: a shorter route must not answer for it.
            rules[i].closed = "matches[" + std::to_string(j) + "]: " + why;
          }
          r.entrypoints = {l.entrypoint};
          r.tls = l.tls;
          r.source = where(route);
          r.middlewares = middlewares;
          const auto& m = matches[j];
          const std::string type = m.path_type.empty() ? "PathPrefix" : m.path_type;
          ordered_.push_back({out_.routers.size(),
                              MatchOrder{host, type == "Exact",
                                         type == "RegularExpression"
                                             ? 0
                                             : (m.path_value.empty() ? 1 : m.path_value.size()),
                                         !m.method.empty(), m.headers.size(), m.query_params.size(),
                                         route.meta.creation_timestamp,
                                         route.meta.ns + "/" + route.meta.name, i, j}});
          made.emplace_back(out_.routers.size(), i);
          out_.routers.push_back(std::move(r));
        }
      }
    }
  }
  // Services last: whether a rule is closed is known only once its matches and filters are.
  for (const auto& [index, i] : made) {
    auto& r = out_.routers[index];
    if (rules[i].closed.empty()) {
      r.service = rules[i].service;
    } else {
      r.service = closed_service();
      r.middlewares.clear();
    }
  }
}

// One service for every closed rule: a single unresolved server, so each request gets 500.
std::string RouteBuilder::closed_service() {
  const std::string name = "gateway.closed";
  if (made_.insert("service " + name).second) {
    model::ConfigService s;
    s.name = name;
    s.servers.push_back({"", 1, true});
    s.source = "gateway api";
    out_.services.push_back(std::move(s));
  }
  return name;
}

void RouteBuilder::assign_priorities() {
  std::stable_sort(ordered_.begin(), ordered_.end(),
                   [](const auto& a, const auto& b) { return precedes(a.second, b.second); });
  const auto n = static_cast<std::int64_t>(ordered_.size());
  for (std::int64_t rank = 0; rank < n; ++rank) {
    out_.routers[ordered_[rank].first].priority = kPriorityBase + (n - rank);
  }
}

RouteReport RouteBuilder::add(const HttpRoute& route, const std::string& now) {
  RouteReport rep;
  rep.meta = route.meta;
  rep.kind = route.kind;
  attached_.clear();
  std::vector<Placement> placements;
  std::vector<RouteParentStatus> ours;
  std::vector<std::string> attach_problems;
  for (const auto& parent : route.parent_refs) {
    const std::string group = parent.group.empty() ? kGroup : parent.group;
    const std::string kind = parent.kind.empty() ? "Gateway" : parent.kind;
    const std::string ns = parent.ns.empty() ? route.meta.ns : parent.ns;
    if (group != kGroup || kind != "Gateway") continue;
    const bool known = std::any_of(gateways_.begin(), gateways_.end(), [&](const GatewayView& g) {
      return g.gateway->meta.ns == ns && g.gateway->meta.name == parent.name;
    });
    if (!known) continue;  // Another implementation's Gateway, or none: not ours to speak of.
    std::string problem;
    ours.push_back(attach(route, parent, placements, problem));
    if (!problem.empty()) attach_problems.push_back(problem);
  }
  std::vector<RouteParentStatus> written;  // Ours as the API has them.
  for (const auto& p : route.parents) {
    (p.controller_name == kControllerName ? written : rep.others).push_back(p);
  }
  if (ours.empty()) {
    rep.changed = !written.empty();  // Ours to take back (the route left our Gateways).
    return rep;
  }
  std::vector<Rule> rules;
  for (std::size_t i = 0; i < route.rules.size(); ++i) rules.push_back(rule(route, i));
  add_routers(route, placements, rules);

  const std::int64_t gen = route.meta.generation;
  std::size_t closed = 0;
  std::string resolved_reason, resolved_message, closed_message;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string field = "spec.rules[" + std::to_string(i) + "]";
    if (!rules[i].closed.empty()) {
      ++closed;
      rep.problems.push_back(where(route) + " " + field + ": " + rules[i].closed +
                             " (the rule answers 500)");
      if (closed_message.empty()) closed_message = field + ": " + rules[i].closed;
    }
    if (!rules[i].resolved_reason.empty()) {
      rep.problems.push_back(where(route) + " " + field + ": " + rules[i].resolved_message);
      if (resolved_reason.empty()) {
        resolved_reason = rules[i].resolved_reason;
        resolved_message = field + ": " + rules[i].resolved_message;
      }
    }
  }
  for (const auto& p : attach_problems) rep.problems.push_back(where(route) + " " + p);
  for (auto& ps : ours) {
    if (ps.conditions.front().status == "True" && closed > 0 && closed == rules.size()) {
      ps.conditions.front() = condition("Accepted", false, "UnsupportedValue", closed_message, gen);
    }
    ps.conditions.push_back(condition("ResolvedRefs", resolved_reason.empty(),
                                      resolved_reason.empty() ? "ResolvedRefs" : resolved_reason,
                                      resolved_message, gen));
    if (closed > 0 && closed < rules.size()) {
      ps.conditions.push_back(
          condition("PartiallyInvalid", true, "UnsupportedValue", closed_message, gen));
    }
    std::vector<Condition> current;
    for (const auto& p : route.parents) {
      if (p.controller_name == kControllerName && p.parent_ref == ps.parent_ref) {
        current = p.conditions;
      }
    }
    stamp(ps.conditions, current, now);
    rep.parents.push_back(std::move(ps));
  }
  rep.changed = rep.parents != written;
  return rep;
}

}  // namespace wharf::controller::kubernetes::gateway
