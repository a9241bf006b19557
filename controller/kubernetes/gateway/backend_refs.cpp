#include <algorithm>
#include <numeric>
#include <tuple>

#include "controller/kubernetes/gateway/references.hpp"
#include "controller/kubernetes/gateway/route_builder.hpp"
#include "text/duration.hpp"

// A rule's backendRefs as one weighted service, and what the rule needs checked up front.
namespace wharf::controller::kubernetes::gateway {
namespace {

// A Gateway API Duration ("1h", "500ms", "1m30s", "0s": a subset of Go's, which the API
// server validates) in milliseconds; nothing when it is not one. 0 means no timeout.
std::optional<std::uint64_t> duration_ms(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text::parse_duration_ms(text);
}

constexpr const char* kFilters[] = {"RequestHeaderModifier", "ResponseHeaderModifier",
                                    "RequestRedirect", "URLRewrite"};

}  // namespace

RouteBuilder::Rule RouteBuilder::rule(const HttpRoute& route, std::size_t i) {
  Rule r;
  const auto& spec = route.rules[i];
  for (std::size_t k = 0; k < spec.filters.size() && r.closed.empty(); ++k) {
    const auto& type = spec.filters[k].type;
    const bool grpc = route.kind == "GRPCRoute";
    const bool known =
        std::find(std::begin(kFilters), std::end(kFilters), type) != std::end(kFilters);
    if (!known || (grpc && (type == "RequestRedirect" || type == "URLRewrite"))) {
      // Never skipped: a filter may be what guards the backend (the spec says the same).
      r.closed = "filters[" + std::to_string(k) + "]: type " + type + " is not supported" +
                 (type == "RequestMirror" ? " yet" : "");
    }
  }
  if (r.closed.empty() && spec.backend_with_filters >= 0) {
    r.closed = "backendRefs[" + std::to_string(spec.backend_with_filters) +
               "].filters: filters on a backendRef are not supported";
  }
  r.service = backend_service(route, i, r);
  return r;
}

std::string RouteBuilder::backend_service(const HttpRoute& route, std::size_t i, Rule& rule) {
  const auto& spec = route.rules[i];
  model::ConfigService s;
  s.name = route_prefix(route) + ".rule" + std::to_string(i);
  s.source = where(route);
  struct Part {
    std::vector<model::Server> servers;
    std::uint64_t weight = 0;
  };
  std::vector<Part> parts;
  auto unresolved = [&](std::uint64_t weight, const char* reason, std::string message) {
    if (rule.resolved_reason.empty()) {
      rule.resolved_reason = reason;
      rule.resolved_message = std::move(message);
    }
    parts.push_back({{{"", 1, true}}, weight});
  };
  for (std::size_t j = 0; j < spec.backend_refs.size(); ++j) {
    const auto& ref = spec.backend_refs[j];
    const std::string field = "backendRefs[" + std::to_string(j) + "]";
    const std::uint64_t weight = ref.weight < 0 ? 0 : static_cast<std::uint64_t>(ref.weight);
    const std::string kind = ref.kind.empty() ? "Service" : ref.kind;
    const std::string ns = ref.ns.empty() ? route.meta.ns : ref.ns;
    if (!(ref.group.empty() || ref.group == "core") || kind != "Service") {
      unresolved(weight, "InvalidKind",
                 field + ": " + (ref.group.empty() ? "" : ref.group + "/") + kind +
                     " is not a backend kind Wharf serves (Service)");
      continue;
    }
    if (!reference_allowed(snap_, {kGroup, route.kind, route.meta.ns},
                           {"", "Service", ns, ref.name})) {
      unresolved(weight, "RefNotPermitted",
                 field + ": service " + ns + "/" + ref.name +
                     " is in another namespace and no ReferenceGrant there allows it");
      continue;
    }
    const Service* svc = index_.service(ns, ref.name);
    if (!svc) {
      unresolved(weight, "BackendNotFound",
                 field + ": service " + ns + "/" + ref.name + " not found");
      continue;
    }
    if (ref.port <= 0) {
      unresolved(weight, "UnsupportedValue", field + ": a Service backend needs a port");
      continue;
    }
    // gRPC is HTTP/2: a GRPCRoute's backend speaks h2c unless its port says otherwise.
    std::string scheme;
    for (const auto& p : svc->ports) {
      if (p.port == ref.port && p.app_protocol.empty() && route.kind == "GRPCRoute") scheme = "h2c";
    }
    auto b = kubernetes::backend_service(index_, ns, IngressBackend{ref.name, "", ref.port, false},
                                         where(route) + " " + field, s.name, scheme);
    if (!b.errors.empty()) {
      unresolved(weight, "BackendNotFound", b.errors.front());
      continue;
    }
    if (s.transport.empty()) s.transport = b.transport;
    parts.push_back({std::move(b.servers), weight});
  }
  // Each backend's weight is split among its servers: with L the least common multiple of
  // their counts, a server of a backend with n servers and weight w gets w × L / n, which
  // smooth weighted round robin turns into exact shares.
  std::uint64_t lcm = 1;
  for (const auto& p : parts) {
    if (p.weight > 0 && !p.servers.empty()) lcm = std::lcm(lcm, p.servers.size());
    if (lcm > 100'000) lcm = 100'000;  // Beyond that the shares are approximate anyway.
  }
  for (auto& p : parts) {
    if (p.weight == 0) continue;  // Weight 0: no requests.
    for (auto& server : p.servers) {
      server.weight = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(p.weight * lcm / p.servers.size(), 1'000'000'000));
      s.servers.push_back(std::move(server));
    }
  }
  const auto request = duration_ms(spec.request_timeout);
  const auto backend = duration_ms(spec.backend_request_timeout);
  for (const auto& [text, parsed, field] :
       {std::tuple{&spec.request_timeout, &request, "request"},
        std::tuple{&spec.backend_request_timeout, &backend, "backendRequest"}}) {
    if (!text->empty() && !*parsed) {
      rule.closed = std::string("timeouts.") + field + ": '" + *text + "' is not a duration";
    }
  }
  if (request || backend) {
    // The time to the response head bounds both: Wharf streams bodies and bounds their idle
    // time, not their length (a 50 GB download must not be cut at the request timeout).
    std::uint64_t ms = UINT32_MAX;  // "0s" alone: no timeout.
    for (const auto* t : {&request, &backend}) {
      if (*t && **t > 0) ms = std::min(ms, **t);
    }
    model::ServiceTimeouts t;
    t.response_header_ms = static_cast<std::uint32_t>(ms);
    s.timeouts = t;
  }
  const std::string name = s.name;
  if (made_.insert("service " + name).second) out_.services.push_back(std::move(s));
  return name;
}

}  // namespace wharf::controller::kubernetes::gateway
