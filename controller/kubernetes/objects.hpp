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
  std::string creation_timestamp;  // RFC 3339, UTC: orders as text (Gateway API precedence)
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

// ---- Gateway API (gateway.networking.k8s.io, standard channel v1.x) ----

// A condition as status writers and readers see it.
struct Condition {
  std::string type, status, reason, message;
  std::int64_t observed_generation = 0;
  // RFC 3339; a writer keeps the one it read while the status stays the same.
  std::string last_transition_time;
  bool operator==(const Condition&) const = default;
};

struct GatewayClass {
  ObjectMeta meta;
  std::string controller_name;  // spec.controllerName
  std::vector<Condition> conditions;
  std::vector<std::string> supported_features;  // status.supportedFeatures[].name
};

// A reference to another object: certificateRefs, backendRefs, parentRefs, mirror targets.
struct ObjectRef {
  std::string group, kind, ns, name;  // ns empty: the referrer's namespace
  std::string section_name;           // parentRefs: a listener
  std::int32_t port = 0;              // 0: unset
  std::int32_t weight = 1;            // backendRefs
  bool operator==(const ObjectRef&) const = default;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  struct Expression {
    std::string key, op;  // In, NotIn, Exists, DoesNotExist
    std::vector<std::string> values;
  };
  std::vector<Expression> match_expressions;
};

struct Listener {
  std::string name, hostname, protocol;  // HTTP, HTTPS, TLS, TCP, UDP, GRPC...
  std::int32_t port = 0;
  std::string tls_mode;  // Terminate (default) or Passthrough
  std::vector<ObjectRef> certificate_refs;
  std::string namespaces_from = "Same";  // allowedRoutes.namespaces.from: All, Same, Selector
  std::optional<LabelSelector> namespaces_selector;
  std::vector<ObjectRef> allowed_kinds;  // allowedRoutes.kinds (group, kind)
};

// status.listeners[] of a Gateway.
struct ListenerStatus {
  std::string name;
  std::vector<std::pair<std::string, std::string>> supported_kinds;  // (group, kind)
  std::int32_t attached_routes = 0;
  std::vector<Condition> conditions;
  bool operator==(const ListenerStatus&) const = default;
};

// status.addresses[] of a Gateway.
struct GatewayAddress {
  std::string type, value;  // IPAddress or Hostname
  bool operator==(const GatewayAddress&) const = default;
};

struct Gateway {
  ObjectMeta meta;
  std::string class_name;  // spec.gatewayClassName
  std::vector<Listener> listeners;
  std::vector<std::string> addresses;  // spec.addresses[].value
  // status, as the API has it.
  std::vector<Condition> conditions;
  std::vector<ListenerStatus> listener_status;
  std::vector<GatewayAddress> status_addresses;
};

struct HeaderModifier {
  std::vector<std::pair<std::string, std::string>> set, add;
  std::vector<std::string> remove;
};

struct PathModifier {
  std::string type;  // ReplaceFullPath, ReplacePrefixMatch
  std::string value;
};

struct RouteFilter {
  std::string type;  // RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect,
                     // URLRewrite, RequestMirror, ExtensionRef
  HeaderModifier headers;
  // RequestRedirect and URLRewrite.
  std::string scheme, hostname;
  std::optional<PathModifier> path;
  std::int32_t port = 0;
  std::int32_t status_code = 0;
  std::optional<ObjectRef> mirror;  // RequestMirror.backendRef
};

struct HttpMatch {
  std::string path_type, path_value;  // Exact, PathPrefix (default, "/"), RegularExpression
  struct Value {
    std::string type, name, value;  // type: Exact (default), RegularExpression
  };
  std::vector<Value> headers, query_params;
  std::string method;
};

struct HttpRouteRule {
  std::string name;  // v1.2+
  std::vector<HttpMatch> matches;
  std::vector<RouteFilter> filters;
  std::vector<ObjectRef> backend_refs;
  // The first backendRef carrying filters of its own (backendRefs[].filters), or -1. Wharf
  // does not apply them; the rule is closed rather than served without them.
  int backend_with_filters = -1;
  std::string request_timeout, backend_request_timeout;  // timeouts.*, Gateway API durations
};

struct RouteParentStatus {
  ObjectRef parent_ref;
  std::string controller_name;
  std::vector<Condition> conditions;
  bool operator==(const RouteParentStatus&) const = default;
};

struct HttpRoute {
  ObjectMeta meta;
  std::string kind = "HTTPRoute";  // Or GRPCRoute, read into the same shape.
  std::vector<ObjectRef> parent_refs;
  std::vector<std::string> hostnames;
  std::vector<HttpRouteRule> rules;
  std::vector<RouteParentStatus> parents;  // status.parents
};

struct ReferenceGrant {
  ObjectMeta meta;
  std::vector<ObjectRef> from;  // group, kind, namespace
  std::vector<ObjectRef> to;    // group, kind, name (empty: any)
};

struct Namespace {
  ObjectMeta meta;  // Its labels, for allowedRoutes selectors.
};

// Everything the translator looks at, as last listed/watched.
struct Snapshot {
  std::vector<IngressClass> classes;
  std::vector<Ingress> ingresses;
  std::vector<Service> services;
  std::vector<EndpointSlice> slices;
  std::vector<Secret> secrets;
  std::vector<ConfigMap> config_maps;
  // Gateway API.
  std::vector<GatewayClass> gateway_classes;
  std::vector<Gateway> gateways;
  std::vector<HttpRoute> http_routes;  // HTTPRoutes and GRPCRoutes
  std::vector<ReferenceGrant> reference_grants;
  std::vector<Namespace> namespaces;
};

// Adds the objects of one JSON document to `out`: a single object, or a list (`kind: List`,
// `IngressList`, ...) of them. Kinds it does not read are skipped; malformed JSON is an error.
model::Status add_objects(std::string_view json, Snapshot& out);

}  // namespace wharf::controller::kubernetes
