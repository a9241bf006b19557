#include "controller/kubernetes/objects.hpp"

#include <rapidjson/document.h>

#include "controller/kubernetes/gateway_objects.hpp"
#include "controller/kubernetes/json_fields.hpp"
#include "text/base64.hpp"

namespace wharf::controller::kubernetes {
namespace {

using namespace json;

IngressBackend backend_of(const Value& b) {
  IngressBackend out;
  if (member(b, "resource")) out.is_resource = true;
  if (const Value* svc = member(b, "service")) {
    out.service = str(*svc, "name");
    if (const Value* port = member(*svc, "port")) {
      out.port_name = str(*port, "name");
      out.port_number = int32(*port, "number");
    }
  }
  return out;
}

std::vector<LoadBalancerAddress> load_balancer_of(const Value& obj) {
  std::vector<LoadBalancerAddress> out;
  const Value* status = member(obj, "status");
  const Value* lb = status ? member(*status, "loadBalancer") : nullptr;
  each(lb ? member(*lb, "ingress") : nullptr, [&](const Value& a) {
    out.push_back({str(a, "ip"), str(a, "hostname")});
  });
  return out;
}

Secret secret_of(const Value& obj) {
  Secret s;
  s.meta = meta_of(obj);
  s.type = str(obj, "type");
  const Value* data = member(obj, "data");
  auto field = [&](const char* key, std::string& out) {
    if (!data) return;
    auto encoded = str(*data, key);
    auto decoded = text::base64_decode(encoded);
    if (decoded) {
      out = std::move(*decoded);
    } else if (s.problem.empty()) {
      s.problem = std::string("data[") + key + "] is not base64";
    }
  };
  field("tls.crt", s.tls_crt);
  field("tls.key", s.tls_key);
  if (data && data->IsObject()) {
    for (const auto& m : data->GetObject()) {
      std::string key = m.name.GetString();
      if (key != "tls.crt" && key != "tls.key") field(key.c_str(), s.data[key]);
    }
  }
  return s;
}

Ingress ingress_of(const Value& obj) {
  Ingress ing;
  ing.meta = meta_of(obj);
  ing.status = load_balancer_of(obj);
  const Value* spec = member(obj, "spec");
  if (!spec) return ing;
  ing.class_name = str(*spec, "ingressClassName");
  if (const Value* b = member(*spec, "defaultBackend")) ing.default_backend = backend_of(*b);
  each(member(*spec, "rules"), [&](const Value& r) {
    IngressRule rule;
    rule.host = str(r, "host");
    if (const Value* http = member(r, "http")) {
      each(member(*http, "paths"), [&](const Value& p) {
        IngressPath path;
        path.path = str(p, "path");
        path.path_type = str(p, "pathType");
        if (const Value* b = member(p, "backend")) path.backend = backend_of(*b);
        rule.paths.push_back(std::move(path));
      });
    }
    ing.rules.push_back(std::move(rule));
  });
  each(member(*spec, "tls"), [&](const Value& t) {
    IngressTls tls;
    tls.secret_name = str(t, "secretName");
    each(member(t, "hosts"), [&](const Value& h) {
      if (h.IsString()) tls.hosts.emplace_back(h.GetString());
    });
    ing.tls.push_back(std::move(tls));
  });
  return ing;
}

void add_object(const Value& obj, Snapshot& out) {
  const std::string kind = str(obj, "kind");
  if (kind == "Ingress") {
    out.ingresses.push_back(ingress_of(obj));
  } else if (kind == "IngressClass") {
    IngressClass c;
    c.meta = meta_of(obj);
    if (const Value* spec = member(obj, "spec")) c.controller = str(*spec, "controller");
    auto it = c.meta.annotations.find("ingressclass.kubernetes.io/is-default-class");
    c.is_default = it != c.meta.annotations.end() && it->second == "true";
    out.classes.push_back(std::move(c));
  } else if (kind == "Service") {
    Service s;
    s.meta = meta_of(obj);
    s.status = load_balancer_of(obj);
    if (const Value* spec = member(obj, "spec")) {
      s.type = str(*spec, "type");
      each(member(*spec, "ports"), [&](const Value& p) {
        ServicePort port;
        port.name = str(p, "name");
        port.port = int32(p, "port");
        if (auto proto = str(p, "protocol"); !proto.empty()) port.protocol = proto;
        port.app_protocol = str(p, "appProtocol");
        s.ports.push_back(std::move(port));
      });
    }
    out.services.push_back(std::move(s));
  } else if (kind == "EndpointSlice") {
    EndpointSlice es;
    es.meta = meta_of(obj);
    auto it = es.meta.labels.find("kubernetes.io/service-name");
    if (it != es.meta.labels.end()) es.service = it->second;
    es.address_type = str(obj, "addressType");
    each(member(obj, "ports"), [&](const Value& p) {
      EndpointPort port;
      port.name = str(p, "name");
      port.port = int32(p, "port");
      if (auto proto = str(p, "protocol"); !proto.empty()) port.protocol = proto;
      es.ports.push_back(std::move(port));
    });
    each(member(obj, "endpoints"), [&](const Value& e) {
      Endpoint ep;
      each(member(e, "addresses"), [&](const Value& a) {
        if (a.IsString()) ep.addresses.emplace_back(a.GetString());
      });
      if (const Value* cond = member(e, "conditions")) {
        ep.ready = boolean(*cond, "ready", true);
        ep.terminating = boolean(*cond, "terminating", false);
      }
      es.endpoints.push_back(std::move(ep));
    });
    out.slices.push_back(std::move(es));
  } else if (kind == "Secret") {
    out.secrets.push_back(secret_of(obj));
  } else if (kind == "ConfigMap") {
    out.config_maps.push_back({meta_of(obj), string_map(member(obj, "data"))});
  } else {
    add_gateway_object(kind, obj, out);
  }
}

}  // namespace

model::Status add_objects(std::string_view json, Snapshot& out) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return model::Error{"invalid JSON at offset " + std::to_string(doc.GetErrorOffset())};
  }
  const Value& root = doc;
  if (const Value* items = member(root, "items"); items && items->IsArray()) {
    // A typed list (IngressList) leaves `kind` off its items; take it from the list's kind.
    std::string list_kind = str(root, "kind");
    std::string item_kind = list_kind.size() > 4 && list_kind.ends_with("List")
                                ? list_kind.substr(0, list_kind.size() - 4)
                                : "";
    for (const auto& item : items->GetArray()) {
      if (str(item, "kind").empty() && !item_kind.empty()) {
        rapidjson::Document copy;
        copy.CopyFrom(item, copy.GetAllocator());
        copy.AddMember("kind", rapidjson::Value(item_kind.c_str(), copy.GetAllocator()),
                       copy.GetAllocator());
        add_object(copy, out);
      } else {
        add_object(item, out);
      }
    }
    return model::kOk;
  }
  add_object(root, out);
  return model::kOk;
}

}  // namespace wharf::controller::kubernetes
