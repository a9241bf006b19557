#include "controller/kubernetes/backends.hpp"

#include <algorithm>

namespace wharf::controller::kubernetes {
namespace {

constexpr const char* kAnnotationPrefix = "wharf.ingress.kubernetes.io/";
constexpr const char* kTraefikPrefix = "traefik.ingress.kubernetes.io/";

// The scheme of servers behind a Service port with this appProtocol: kubernetes.io/h2c is
// HTTP/2 with prior knowledge, https and kubernetes.io/wss are TLS; anything else (http,
// kubernetes.io/ws, none, a name Wharf does not know) is plain HTTP/1.1.
std::string scheme_of_app_protocol(std::string_view app_protocol) {
  if (app_protocol == "kubernetes.io/h2c") return "h2c";
  if (app_protocol == "https" || app_protocol == "kubernetes.io/wss") return "https";
  return "http";
}

}  // namespace

std::string where(const Ingress& ing) {
  return "ingress " + ing.meta.ns + "/" + ing.meta.name;
}

std::string service_key(const std::string& ns, const IngressBackend& b) {
  return ns + "-" + b.service + "-" +
         (b.port_name.empty() ? std::to_string(b.port_number) : b.port_name);
}

Index::Index(const Snapshot& snap) {
  for (const auto& s : snap.services) services[s.meta.ns + "/" + s.meta.name] = &s;
  for (const auto& es : snap.slices) slices[es.meta.ns + "/" + es.service].push_back(&es);
  for (const auto& s : snap.secrets) secrets[s.meta.ns + "/" + s.meta.name] = &s;
}

const Secret* Index::secret(const std::string& ns, const std::string& name) const {
  auto found = secrets.find(ns + "/" + name);
  return found == secrets.end() ? nullptr : found->second;
}

const Service* Index::service(const std::string& ns, const std::string& name) const {
  auto found = services.find(ns + "/" + name);
  return found == services.end() ? nullptr : found->second;
}

model::ConfigService backend_service(const Index& idx, const std::string& ns,
                                     const IngressBackend& b, const std::string& field,
                                     const std::string& name, const std::string& scheme_override) {
  model::ConfigService out;
  out.name = name;
  out.source = "service " + ns + "/" + b.service;
  if (b.is_resource || b.service.empty()) {
    out.errors.push_back(field + ": only service backends are supported");
    return out;
  }
  const Service* svc = idx.service(ns, b.service);
  if (!svc) return out;  // Not created yet: no servers, its paths answer 503.
  if (svc->type == "ExternalName") {
    out.errors.push_back(field + ": service " + ns + "/" + b.service +
                         " is of type ExternalName, which is not supported");
    return out;
  }
  const ServicePort* port = nullptr;
  for (const auto& p : svc->ports) {
    if ((!b.port_name.empty() && p.name == b.port_name) ||
        (b.port_name.empty() && p.port == b.port_number)) {
      port = &p;
    }
  }
  if (!port) {
    out.errors.push_back(
        field + ": service " + ns + "/" + b.service + " has no port " +
        (b.port_name.empty() ? std::to_string(b.port_number) : "named " + b.port_name));
    return out;
  }
  // How the servers are reached: the Service port's appProtocol (KEP-3726's standard values,
  // as Gateway API implementations read them), then the Service's own annotations as Traefik
  // reads them (service.serversscheme https or h2c, service.serverstransport `name@file`),
  // which win.
  std::string scheme = scheme_of_app_protocol(port->app_protocol);
  for (const auto& [key, value] : svc->meta.annotations) {
    // Traefik's own names for the two work unchanged on a Service that Traefik served; its
    // other Service annotations are Traefik's business and left alone.
    const bool traefiks = key == kTraefikPrefix + std::string("service.serversscheme") ||
                          key == kTraefikPrefix + std::string("service.serverstransport");
    if (!traefiks && !key.starts_with(kAnnotationPrefix)) continue;
    auto name = key.substr(key.find('/') + 1);
    if (name == "service.serversscheme") {
      if (value == "http" || value == "https" || value == "h2c") {
        scheme = value;
      } else {
        out.errors.push_back("service " + ns + "/" + b.service + ": annotation " + key + "=" +
                             value + ": expected http, https or h2c");
      }
    } else if (name == "service.serverstransport") {
      out.transport = value;
    } else {
      out.errors.push_back("service " + ns + "/" + b.service + ": annotation " + key +
                           ": unknown (known: service.serversscheme, service.serverstransport)");
    }
  }
  if (!scheme_override.empty()) scheme = scheme_override;
  static const std::vector<const EndpointSlice*> kNone;
  auto slices = idx.slices.find(ns + "/" + b.service);
  const auto& service_slices = slices == idx.slices.end() ? kNone : slices->second;
  for (const EndpointSlice* slice : service_slices) {
    for (const auto& sp : slice->ports) {
      if (sp.name != port->name || sp.protocol != "TCP" || sp.port <= 0) continue;
      for (const auto& ep : slice->endpoints) {
        if (!ep.ready || ep.terminating) continue;
        for (const auto& addr : ep.addresses) {
          // Only IP literals (addressType IPv4/IPv6); FQDN endpoints are not routed to.
          if (auto url = model::server_url_for_ip(addr, sp.port, scheme)) {
            out.servers.push_back({*url, 1});
          }
        }
      }
    }
  }
  std::sort(out.servers.begin(), out.servers.end(),
            [](const auto& x, const auto& y) { return x.url < y.url; });
  out.servers.erase(std::unique(out.servers.begin(), out.servers.end()), out.servers.end());
  return out;
}

}  // namespace wharf::controller::kubernetes
