#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace wharf::controller::kubernetes {

// The fields of the Kubernetes objects the Ingress translator reads, decoded once from the API's
// JSON (the same JSON `kubectl get -o json` prints), so translation is a pure function of values.

struct ObjectMeta {
  std::string name;
  std::string ns;  // metadata.namespace
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

// IngressServiceBackend (the `resource` backend kind is reported as unsupported).
struct IngressBackend {
  std::string service;
  std::string port_name;         // service.port.name
  std::int32_t port_number = 0;  // service.port.number
  bool is_resource = false;
};

struct IngressPath {
  std::string path;
  std::string path_type;  // Exact, Prefix, ImplementationSpecific
  IngressBackend backend;
};

struct IngressRule {
  std::string host;  // Empty: every host.
  std::vector<IngressPath> paths;
};

struct IngressTls {
  std::vector<std::string> hosts;
  std::string secret_name;
};

// One entry of status.loadBalancer.ingress (Ingress and Service alike).
struct LoadBalancerAddress {
  std::string ip;
  std::string hostname;
  bool operator==(const LoadBalancerAddress&) const = default;
};

struct Ingress {
  ObjectMeta meta;
  std::string class_name;  // spec.ingressClassName
  std::optional<IngressBackend> default_backend;
  std::vector<IngressRule> rules;
  std::vector<IngressTls> tls;
  std::vector<LoadBalancerAddress> status;  // status.loadBalancer.ingress
};

struct IngressClass {
  ObjectMeta meta;
  std::string controller;   // spec.controller
  bool is_default = false;  // ingressclass.kubernetes.io/is-default-class: "true"
};

struct ServicePort {
  std::string name;
  std::int32_t port = 0;
  std::string protocol = "TCP";
  std::string app_protocol;  // spec.ports[].appProtocol: kubernetes.io/h2c, https, ...
};

struct Service {
  ObjectMeta meta;
  std::string type;  // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::vector<ServicePort> ports;
  std::vector<LoadBalancerAddress> status;  // status.loadBalancer.ingress
};

// A Secret's data, base64-decoded: `tls.crt` and `tls.key`, and the other keys (an htpasswd
// `auth`, a `ca.crt`) in `data`. Only the Secrets the controller asks for are listed: TLS ones,
// and Opaque ones when the ingress-nginx class is served (its auth-secret and proxy-ssl-secret).
struct Secret {
  ObjectMeta meta;
  std::string type;
  std::string tls_crt, tls_key;
  std::map<std::string, std::string> data;  // Every other key.
  std::string problem;                      // A data field that is not base64.
};

// A ConfigMap's data (ingress-nginx's controller-wide settings).
struct ConfigMap {
  ObjectMeta meta;
  std::map<std::string, std::string> data;
};

struct EndpointPort {
  std::string name;
  std::int32_t port = 0;
  std::string protocol = "TCP";
};

struct Endpoint {
  std::vector<std::string> addresses;
  bool ready = true;  // conditions.ready; absent means ready (API convention)
  bool terminating = false;
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string service;  // label kubernetes.io/service-name
  std::string address_type;
  std::vector<EndpointPort> ports;
  std::vector<Endpoint> endpoints;
};

// Everything the translator looks at, as last listed/watched.
struct Snapshot {
  std::vector<IngressClass> classes;
  std::vector<Ingress> ingresses;
  std::vector<Service> services;
  std::vector<EndpointSlice> slices;
  std::vector<Secret> secrets;
  std::vector<ConfigMap> config_maps;
};

// Adds the objects of one JSON document to `out`: a single object, or a list (`kind: List`,
// `IngressList`, ...) of them. Kinds it does not read are skipped; malformed JSON is an error.
model::Result<bool> add_objects(std::string_view json, Snapshot& out);

}  // namespace wharf::controller::kubernetes
