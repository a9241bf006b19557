#include "controller/kubernetes/gateway_objects.hpp"

#include "controller/kubernetes/json_fields.hpp"

namespace wharf::controller::kubernetes {
namespace {

using namespace json;

std::vector<std::string> strings(const Value* array) {
  std::vector<std::string> out;
  each(array, [&](const Value& v) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  });
  return out;
}

std::vector<Condition> conditions_of(const Value* array) {
  std::vector<Condition> out;
  each(array, [&](const Value& c) {
    Condition cond{str(c, "type"),
                   str(c, "status"),
                   str(c, "reason"),
                   str(c, "message"),
                   0,
                   str(c, "lastTransitionTime")};
    if (const Value* g = member(c, "observedGeneration"); g && g->IsInt64()) {
      cond.observed_generation = g->GetInt64();
    }
    out.push_back(std::move(cond));
  });
  return out;
}

const Value* status_conditions(const Value& obj) {
  const Value* status = member(obj, "status");
  return status ? member(*status, "conditions") : nullptr;
}

ObjectRef ref_of(const Value& r) {
  ObjectRef out;
  out.group = str(r, "group");
  out.kind = str(r, "kind");
  out.ns = str(r, "namespace");
  out.name = str(r, "name");
  out.section_name = str(r, "sectionName");
  out.port = int32(r, "port");
  if (const Value* w = member(r, "weight"); w && w->IsInt()) out.weight = w->GetInt();
  return out;
}

std::vector<ObjectRef> refs_of(const Value* array) {
  std::vector<ObjectRef> out;
  each(array, [&](const Value& r) { out.push_back(ref_of(r)); });
  return out;
}

LabelSelector selector_of(const Value& s) {
  LabelSelector out;
  out.match_labels = string_map(member(s, "matchLabels"));
  each(member(s, "matchExpressions"), [&](const Value& e) {
    out.match_expressions.push_back(
        {str(e, "key"), str(e, "operator"), strings(member(e, "values"))});
  });
  return out;
}

Listener listener_of(const Value& l) {
  Listener out;
  out.name = str(l, "name");
  out.hostname = str(l, "hostname");
  out.protocol = str(l, "protocol");
  out.port = int32(l, "port");
  if (const Value* tls = member(l, "tls")) {
    out.tls_mode = str(*tls, "mode");
    out.certificate_refs = refs_of(member(*tls, "certificateRefs"));
  }
  if (const Value* allowed = member(l, "allowedRoutes")) {
    if (const Value* ns = member(*allowed, "namespaces")) {
      if (auto from = str(*ns, "from"); !from.empty()) out.namespaces_from = from;
      if (const Value* sel = member(*ns, "selector")) out.namespaces_selector = selector_of(*sel);
    }
    out.allowed_kinds = refs_of(member(*allowed, "kinds"));
  }
  return out;
}

HeaderModifier header_modifier_of(const Value& m) {
  HeaderModifier out;
  for (auto [key, list] : {std::pair{"set", &out.set}, std::pair{"add", &out.add}}) {
    each(member(m, key),
         [&, list = list](const Value& h) { list->emplace_back(str(h, "name"), str(h, "value")); });
  }
  out.remove = strings(member(m, "remove"));
  return out;
}

RouteFilter filter_of(const Value& f) {
  RouteFilter out;
  out.type = str(f, "type");
  if (const Value* m = member(f, "requestHeaderModifier")) out.headers = header_modifier_of(*m);
  if (const Value* m = member(f, "responseHeaderModifier")) out.headers = header_modifier_of(*m);
  for (const char* key : {"requestRedirect", "urlRewrite"}) {
    const Value* r = member(f, key);
    if (!r) continue;
    out.scheme = str(*r, "scheme");
    out.hostname = str(*r, "hostname");
    out.port = int32(*r, "port");
    out.status_code = int32(*r, "statusCode");
    if (const Value* p = member(*r, "path")) {
      const std::string type = str(*p, "type");
      out.path = PathModifier{
          type, str(*p, type == "ReplaceFullPath" ? "replaceFullPath" : "replacePrefixMatch")};
    }
  }
  if (const Value* m = member(f, "requestMirror")) {
    if (const Value* b = member(*m, "backendRef")) out.mirror = ref_of(*b);
  }
  return out;
}

HttpMatch match_of(const Value& m) {
  HttpMatch out;
  if (const Value* p = member(m, "path")) {
    out.path_type = str(*p, "type");
    out.path_value = str(*p, "value");
  }
  for (auto [key, list] :
       {std::pair{"headers", &out.headers}, std::pair{"queryParams", &out.query_params}}) {
    each(member(m, key), [&, list = list](const Value& v) {
      list->push_back({str(v, "type"), str(v, "name"), str(v, "value")});
    });
  }
  out.method = str(m, "method");
  return out;
}

// GRPCRoute rules have the same parents, filters and backends; their matches name a service
// and method, kept here as the path they become (/service/method) and headers.
HttpMatch grpc_match_of(const Value& m) {
  HttpMatch out;
  if (const Value* method = member(m, "method")) {
    out.path_type = str(*method, "type").empty() ? "Exact" : str(*method, "type");
    const std::string service = str(*method, "service"), name = str(*method, "method");
    out.path_value = "/" + service + "/" + name;
  }
  each(member(m, "headers"), [&](const Value& v) {
    out.headers.push_back({str(v, "type"), str(v, "name"), str(v, "value")});
  });
  return out;
}

HttpRoute route_of(const std::string& kind, const Value& obj) {
  HttpRoute out;
  out.meta = meta_of(obj);
  out.kind = kind;
  if (const Value* spec = member(obj, "spec")) {
    out.parent_refs = refs_of(member(*spec, "parentRefs"));
    out.hostnames = strings(member(*spec, "hostnames"));
    each(member(*spec, "rules"), [&](const Value& r) {
      HttpRouteRule rule;
      rule.name = str(r, "name");
      each(member(r, "matches"), [&](const Value& m) {
        rule.matches.push_back(kind == "GRPCRoute" ? grpc_match_of(m) : match_of(m));
      });
      each(member(r, "filters"), [&](const Value& f) { rule.filters.push_back(filter_of(f)); });
      rule.backend_refs = refs_of(member(r, "backendRefs"));
      int j = 0;
      each(member(r, "backendRefs"), [&](const Value& b) {
        const Value* f = member(b, "filters");
        if (rule.backend_with_filters < 0 && f && f->IsArray() && !f->Empty()) {
          rule.backend_with_filters = j;
        }
        ++j;
      });
      if (const Value* t = member(r, "timeouts")) {
        rule.request_timeout = str(*t, "request");
        rule.backend_request_timeout = str(*t, "backendRequest");
      }
      out.rules.push_back(std::move(rule));
    });
  }
  if (const Value* status = member(obj, "status")) {
    each(member(*status, "parents"), [&](const Value& p) {
      RouteParentStatus ps;
      if (const Value* ref = member(p, "parentRef")) ps.parent_ref = ref_of(*ref);
      ps.controller_name = str(p, "controllerName");
      ps.conditions = conditions_of(member(p, "conditions"));
      out.parents.push_back(std::move(ps));
    });
  }
  return out;
}

}  // namespace

bool add_gateway_object(const std::string& kind, const Value& obj, Snapshot& out) {
  if (kind == "GatewayClass") {
    GatewayClass c;
    c.meta = meta_of(obj);
    if (const Value* spec = member(obj, "spec")) c.controller_name = str(*spec, "controllerName");
    c.conditions = conditions_of(status_conditions(obj));
    if (const Value* status = member(obj, "status")) {
      each(member(*status, "supportedFeatures"), [&](const Value& f) {
        c.supported_features.push_back(f.IsString() ? std::string(f.GetString()) : str(f, "name"));
      });
    }
    out.gateway_classes.push_back(std::move(c));
  } else if (kind == "Gateway") {
    Gateway g;
    g.meta = meta_of(obj);
    if (const Value* spec = member(obj, "spec")) {
      g.class_name = str(*spec, "gatewayClassName");
      each(member(*spec, "listeners"),
           [&](const Value& l) { g.listeners.push_back(listener_of(l)); });
      each(member(*spec, "addresses"),
           [&](const Value& a) { g.addresses.push_back(str(a, "value")); });
    }
    g.conditions = conditions_of(status_conditions(obj));
    if (const Value* status = member(obj, "status")) {
      each(member(*status, "listeners"), [&](const Value& l) {
        ListenerStatus ls;
        ls.name = str(l, "name");
        each(member(l, "supportedKinds"), [&](const Value& k) {
          ls.supported_kinds.emplace_back(str(k, "group"), str(k, "kind"));
        });
        ls.attached_routes = int32(l, "attachedRoutes");
        ls.conditions = conditions_of(member(l, "conditions"));
        g.listener_status.push_back(std::move(ls));
      });
      each(member(*status, "addresses"), [&](const Value& a) {
        g.status_addresses.push_back({str(a, "type"), str(a, "value")});
      });
    }
    out.gateways.push_back(std::move(g));
  } else if (kind == "HTTPRoute" || kind == "GRPCRoute") {
    out.http_routes.push_back(route_of(kind, obj));
  } else if (kind == "ReferenceGrant") {
    ReferenceGrant g;
    g.meta = meta_of(obj);
    if (const Value* spec = member(obj, "spec")) {
      g.from = refs_of(member(*spec, "from"));
      g.to = refs_of(member(*spec, "to"));
    }
    out.reference_grants.push_back(std::move(g));
  } else if (kind == "Namespace") {
    out.namespaces.push_back({meta_of(obj)});
  } else {
    return false;
  }
  return true;
}

}  // namespace wharf::controller::kubernetes
