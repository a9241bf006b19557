#include "controller/kubernetes/gateway/listeners.hpp"

#include <algorithm>
#include <map>

#include "controller/kubernetes/gateway/conditions.hpp"
#include "controller/kubernetes/gateway/references.hpp"

namespace wharf::controller::kubernetes::gateway {
namespace {

bool is_route_kind(const std::string& group, const std::string& kind) {
  return group == kGroup && (kind == "HTTPRoute" || kind == "GRPCRoute");
}

// What is wrong with a listener, in the terms of its status conditions. Empty reasons: fine.
struct Findings {
  std::string accepted_reason, accepted_message;  // Accepted=False
  std::string resolved_reason, resolved_message;  // ResolvedRefs=False
  std::string conflict_reason, conflict_message;  // Conflicted=True
};

void check_kinds(const Listener& l, ListenerView& v, Findings& f) {
  if (l.allowed_kinds.empty()) {
    v.kinds = {{kGroup, "HTTPRoute"}, {kGroup, "GRPCRoute"}};
    return;
  }
  for (const auto& k : l.allowed_kinds) {
    const std::string group = k.group.empty() ? kGroup : k.group;
    if (is_route_kind(group, k.kind)) {
      v.kinds.emplace_back(group, k.kind);
    } else if (f.resolved_reason.empty()) {
      f.resolved_reason = "InvalidRouteKinds";
      f.resolved_message = "allowedRoutes.kinds: " + group + "/" + k.kind +
                           " is not a route kind Wharf serves on an " + l.protocol +
                           " listener (HTTPRoute, GRPCRoute)";
    }
  }
}

void check_certificates(const Snapshot& snap, const Gateway& gw, std::size_t i, Certificates& certs,
                        Findings& f) {
  const Listener& l = gw.listeners[i];
  if (l.tls_mode == "Passthrough") {
    f.accepted_reason = "UnsupportedProtocol";
    f.accepted_message = "tls.mode Passthrough is for TLS listeners; HTTPS terminates";
    return;
  }
  if (l.certificate_refs.empty()) {
    f.resolved_reason = "InvalidCertificateRef";
    f.resolved_message = "an HTTPS listener needs tls.certificateRefs";
    return;
  }
  for (std::size_t j = 0; j < l.certificate_refs.size(); ++j) {
    const auto& ref = l.certificate_refs[j];
    const std::string field = "tls.certificateRefs[" + std::to_string(j) + "]";
    const std::string kind = ref.kind.empty() ? "Secret" : ref.kind;
    const std::string ns = ref.ns.empty() ? gw.meta.ns : ref.ns;
    std::string reason, message;
    if (!(ref.group.empty() || ref.group == "core") || kind != "Secret") {
      reason = "InvalidCertificateRef";
      message =
          field + ": " + (ref.group.empty() ? "" : ref.group + "/") + kind + " is not a Secret";
    } else if (!reference_allowed(snap, {kGroup, "Gateway", gw.meta.ns},
                                  {"", "Secret", ns, ref.name})) {
      reason = "RefNotPermitted";
      message = field + ": secret " + ns + "/" + ref.name +
                " is in another namespace and no ReferenceGrant there allows it";
    } else {
      certs.want(
          ns, ref.name,
          l.hostname.empty() ? std::vector<std::string>{} : std::vector<std::string>{l.hostname},
          where(gw) + " spec.listeners[" + std::to_string(i) + "]." + field);
      if (auto why = certs.problem(ns, ref.name); !why.empty()) {
        reason = "InvalidCertificateRef";
        message = field + ": " + why;
      }
    }
    if (!reason.empty() && f.resolved_reason.empty()) {
      f.resolved_reason = reason;
      f.resolved_message = message;
    }
  }
}

// Listeners of one Gateway sharing a port: different protocols conflict (ProtocolConflict);
// with one protocol, the same hostname twice does (HostnameConflict).
void check_conflicts(const Gateway& gw, std::vector<Findings>& findings) {
  std::map<std::int32_t, std::vector<std::size_t>> by_port;
  for (std::size_t i = 0; i < gw.listeners.size(); ++i) by_port[gw.listeners[i].port].push_back(i);
  for (const auto& [port, group] : by_port) {
    for (std::size_t a : group) {
      for (std::size_t b : group) {
        if (a == b) continue;
        const auto &la = gw.listeners[a], &lb = gw.listeners[b];
        auto& f = findings[a];
        if (la.protocol != lb.protocol) {
          f.conflict_reason = "ProtocolConflict";
          f.conflict_message = "listener " + lb.name + " uses port " + std::to_string(port) +
                               " with protocol " + lb.protocol;
        } else if (la.hostname == lb.hostname && f.conflict_reason.empty()) {
          f.conflict_reason = "HostnameConflict";
          f.conflict_message = "listener " + lb.name + " has the same port and hostname";
        }
      }
    }
  }
}

}  // namespace

std::string where(const Gateway& gw) {
  return "gateway " + gw.meta.ns + "/" + gw.meta.name;
}

std::set<std::string> our_classes(const Snapshot& snap) {
  std::set<std::string> out;
  for (const auto& c : snap.gateway_classes) {
    if (c.controller_name == kControllerName) out.insert(c.meta.name);
  }
  return out;
}

std::vector<GatewayView> read_gateways(const Snapshot& snap, const Options& opt,
                                       const std::set<std::string>& classes, Certificates& certs) {
  std::vector<GatewayView> out;
  for (const auto& gw : snap.gateways) {
    if (!classes.count(gw.class_name)) continue;
    GatewayView view{&gw, {}, {}};
    std::vector<Findings> findings(gw.listeners.size());
    check_conflicts(gw, findings);
    for (std::size_t i = 0; i < gw.listeners.size(); ++i) {
      const Listener& l = gw.listeners[i];
      ListenerView v;
      v.gateway = &gw;
      v.index = i;
      v.spec = &l;
      auto& f = findings[i];
      if (l.protocol != "HTTP" && l.protocol != "HTTPS") {
        f.accepted_reason = "UnsupportedProtocol";
        f.accepted_message = "protocol " + l.protocol + " is not served (HTTP, HTTPS)";
      } else if (auto ep = opt.entrypoints.find(l.port); ep == opt.entrypoints.end()) {
        f.accepted_reason = "PortUnavailable";
        f.accepted_message = "no entrypoint serves port " + std::to_string(l.port) +
                             " (--gateway-entrypoint PORT=ENTRYPOINT)";
      } else {
        v.entrypoint = ep->second;
        v.tls = l.protocol == "HTTPS";
        check_kinds(l, v, f);
        if (v.tls) check_certificates(snap, gw, i, certs, f);
      }
      const std::int64_t gen = gw.meta.generation;
      const bool accepted = f.accepted_reason.empty();
      const bool certs_ok = f.resolved_reason.empty() || f.resolved_reason == "InvalidRouteKinds";
      v.ready = accepted && f.conflict_reason.empty() && certs_ok;
      v.conditions = {
          condition("Accepted", accepted, accepted ? "Accepted" : f.accepted_reason,
                    accepted ? "" : f.accepted_message, gen),
          condition("Programmed", v.ready, v.ready ? "Programmed" : "Invalid",
                    v.ready ? "" : "the listener is not served (see its other conditions)", gen),
          condition("ResolvedRefs", f.resolved_reason.empty(),
                    f.resolved_reason.empty() ? "ResolvedRefs" : f.resolved_reason,
                    f.resolved_message, gen),
          condition("Conflicted", !f.conflict_reason.empty(),
                    f.conflict_reason.empty() ? "NoConflicts" : f.conflict_reason,
                    f.conflict_message, gen),
      };
      for (const std::string* message :
           {&f.accepted_message, &f.resolved_message, &f.conflict_message}) {
        if (!message->empty()) {
          view.problems.push_back(where(gw) + " spec.listeners[" + std::to_string(i) + "] (" +
                                  l.name + "): " + *message);
        }
      }
      view.listeners.push_back(std::move(v));
    }
    out.push_back(std::move(view));
  }
  std::sort(out.begin(), out.end(), [](const GatewayView& a, const GatewayView& b) {
    return std::tie(a.gateway->meta.ns, a.gateway->meta.name) <
           std::tie(b.gateway->meta.ns, b.gateway->meta.name);
  });
  return out;
}

GatewayReport gateway_report(const GatewayView& view,
                             const std::vector<LoadBalancerAddress>& published,
                             const std::string& now) {
  const Gateway& gw = *view.gateway;
  const std::int64_t gen = gw.meta.generation;
  GatewayReport r;
  r.meta = gw.meta;
  r.problems = view.problems;
  std::size_t ready = 0;
  for (const auto& l : view.listeners) ready += l.ready ? 1 : 0;
  const bool accepted = ready > 0 || view.listeners.empty();
  std::string accepted_reason = ready == view.listeners.size() ? "Accepted" : "ListenersNotValid";
  std::string accepted_message = ready == view.listeners.size()
                                     ? ""
                                     : std::to_string(view.listeners.size() - ready) + " of " +
                                           std::to_string(view.listeners.size()) +
                                           " listeners are not served";
  for (const auto& a : published) {
    r.addresses.push_back(a.ip.empty() ? GatewayAddress{"Hostname", a.hostname}
                                       : GatewayAddress{"IPAddress", a.ip});
  }
  std::string unusable;
  for (const auto& want : gw.addresses) {
    const bool have = std::any_of(r.addresses.begin(), r.addresses.end(),
                                  [&](const GatewayAddress& a) { return a.value == want; });
    if (!have && unusable.empty()) unusable = want;
  }
  bool programmed = accepted;
  std::string programmed_reason = "Programmed", programmed_message;
  if (!accepted) {
    programmed_reason = "Invalid";
    programmed_message = "no listener is served";
  } else if (!unusable.empty()) {
    programmed = false;
    programmed_reason = "AddressNotUsable";
    programmed_message = "spec.addresses: " + unusable +
                         " is not an address Wharf publishes (--publish-service, "
                         "--publish-address)";
  } else if (r.addresses.empty()) {
    programmed = false;
    programmed_reason = "AddressNotAssigned";
    programmed_message =
        "no address to publish: give --publish-service or --publish-address (traffic is "
        "served meanwhile)";
  }
  if (!programmed_message.empty() && programmed_reason != "Invalid") {
    r.notes.push_back(where(gw) + ": " + programmed_message);
  }
  r.conditions = {condition("Accepted", accepted, accepted_reason, accepted_message, gen),
                  condition("Programmed", programmed, programmed_reason, programmed_message, gen)};
  stamp(r.conditions, gw.conditions, now);
  for (const auto& l : view.listeners) {
    ListenerStatus s{l.spec->name, l.kinds, l.attached, l.conditions};
    for (const auto& current : gw.listener_status) {
      if (current.name == s.name) stamp(s.conditions, current.conditions, now);
    }
    if (s.conditions.front().last_transition_time.empty()) stamp(s.conditions, {}, now);
    r.listeners.push_back(std::move(s));
  }
  r.changed = r.conditions != gw.conditions || r.listeners != gw.listener_status ||
              r.addresses != gw.status_addresses;
  return r;
}

}  // namespace wharf::controller::kubernetes::gateway
