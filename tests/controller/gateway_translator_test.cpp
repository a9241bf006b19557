// The Gateway API translation as a table: each case is Gateway API objects in (as `kubectl get
// -o json` prints them; the spec's and the conformance manifests' examples among them) and,
// out, requests routed through the real compiler and the data plane's matcher to a service,
// the middlewares and services made, and the status conditions written. The cases live in
// fixtures/gateway-api/translation_cases.json; every case starts from the cluster below.

#include <map>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "controller/compiler/compiler.hpp"
#include "controller/kubernetes/gateway/translator.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "test_common/translation_table.hpp"

namespace wharf::controller::kubernetes::gateway {
namespace {

using rapidjson::Value;

// Our GatewayClass "wharf"; Services web (two endpoints), v2 (one) and grpc (one, port 50051)
// in "default", and api in "other" (one endpoint).
const char* kCluster = R"({"kind":"List","items":[
  {"kind":"GatewayClass","metadata":{"name":"wharf","generation":1},"spec":{"controllerName":"wharf.dev/gateway-controller"}},
  {"kind":"GatewayClass","metadata":{"name":"theirs","generation":1},"spec":{"controllerName":"example.com/other"}},
  {"kind":"Namespace","metadata":{"name":"default","labels":{"kubernetes.io/metadata.name":"default"}}},
  {"kind":"Namespace","metadata":{"name":"other","labels":{"kubernetes.io/metadata.name":"other","team":"api"}}},
  {"kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80}]}},
  {"kind":"Service","metadata":{"name":"v2","namespace":"default"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80}]}},
  {"kind":"Service","metadata":{"name":"grpc","namespace":"default"},"spec":{"type":"ClusterIP","ports":[{"name":"grpc","port":50051}]}},
  {"kind":"Service","metadata":{"name":"api","namespace":"other"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80}]}},
  {"kind":"EndpointSlice","metadata":{"name":"web-1","namespace":"default","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","ports":[{"name":"http","port":8080}],"endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2"]}]},
  {"kind":"EndpointSlice","metadata":{"name":"v2-1","namespace":"default","labels":{"kubernetes.io/service-name":"v2"}},"addressType":"IPv4","ports":[{"name":"http","port":8080}],"endpoints":[{"addresses":["10.0.0.3"]}]},
  {"kind":"EndpointSlice","metadata":{"name":"grpc-1","namespace":"default","labels":{"kubernetes.io/service-name":"grpc"}},"addressType":"IPv4","ports":[{"name":"grpc","port":50051}],"endpoints":[{"addresses":["10.0.0.5"]}]},
  {"kind":"EndpointSlice","metadata":{"name":"api-1","namespace":"other","labels":{"kubernetes.io/service-name":"api"}},"addressType":"IPv4","ports":[{"name":"http","port":8080}],"endpoints":[{"addresses":["10.0.1.1"]}]}
]})";

// The Gateway every case has unless it brings its own: "gw" in default, class wharf, one HTTP
// listener "http" on port 80 taking routes from every namespace.
const char* kGateway =
    R"({"kind":"Gateway","metadata":{"name":"gw","namespace":"default","generation":1},"spec":{"gatewayClassName":"wharf","listeners":[{"name":"http","protocol":"HTTP","port":80,"allowedRoutes":{"namespaces":{"from":"All"}}}]}})";

// Completes an object of a case: metadata.namespace "default", generation 1, a creation time.
std::string object_json(const Value& given, rapidjson::Document& doc) {
  Value o(rapidjson::kObjectType);
  o.CopyFrom(given, doc.GetAllocator());
  auto& a = doc.GetAllocator();
  auto& md = o["metadata"];
  if (!md.HasMember("namespace") && std::string(o["kind"].GetString()) != "GatewayClass") {
    md.AddMember("namespace", "default", a);
  }
  if (!md.HasMember("generation")) md.AddMember("generation", 1, a);
  if (!md.HasMember("creationTimestamp"))
    md.AddMember("creationTimestamp", "2026-12-01T00:00:00Z", a);
  return test::dump(o);
}

// "Type=Status/Reason" for each condition, in order.
std::vector<std::string> summary(const std::vector<Condition>& conditions) {
  std::vector<std::string> out;
  for (const auto& c : conditions) out.push_back(c.type + "=" + c.status + "/" + c.reason);
  return out;
}

std::vector<std::string> strings(const Value& v) {
  std::vector<std::string> out;
  for (const auto& x : v.GetArray()) out.emplace_back(x.GetString());
  return out;
}

void check_case(const Value& c) {
  const std::string name = c["name"].GetString();
  SCOPED_TRACE(name);
  Snapshot snap;
  ASSERT_TRUE(add_objects(kCluster, snap).ok());
  rapidjson::Document scratch;
  scratch.SetObject();
  bool own_gateway = false;
  for (const auto& o : c["objects"].GetArray()) {
    own_gateway = own_gateway || std::string(o["kind"].GetString()) == "Gateway";
    ASSERT_TRUE(add_objects(object_json(o, scratch), snap).ok());
  }
  if (!own_gateway) {
    ASSERT_TRUE(add_objects(kGateway, snap).ok());
  }
  Options opt;
  opt.enabled = true;
  const Index index(snap);
  const auto t = translate(snap, index, opt, {{"192.0.2.10", ""}}, "2026-12-07T00:00:00Z");
  const auto& cfg = t.config;
  const Value& e = c["expect"];

  std::map<std::string, const model::ConfigService*> services;
  for (const auto& s : cfg.services) services[s.name] = &s;
  if (e.HasMember("middlewares")) test::expect_middlewares(cfg.middlewares, e["middlewares"]);
  if (e.HasMember("services")) {
    for (const auto& m : e["services"].GetObject()) {
      const std::string sname = m.name.GetString();
      ASSERT_TRUE(services.count(sname)) << "no service " << sname;
      const auto& s = *services[sname];
      if (m.value.HasMember("servers")) {
        std::vector<std::string> got;
        for (const auto& srv : s.servers) {
          got.push_back((srv.unresolved ? "500" : srv.url) + "*" + std::to_string(srv.weight));
        }
        EXPECT_EQ(got, strings(m.value["servers"])) << sname;
      }
      if (m.value.HasMember("responseHeaderMs")) {
        ASSERT_TRUE(s.timeouts) << sname;
        EXPECT_EQ(s.timeouts->response_header_ms, m.value["responseHeaderMs"].GetUint()) << sname;
      }
    }
  }
  if (e.HasMember("routes")) {
    for (const auto& m : e["routes"].GetObject()) {
      const std::string rname = m.name.GetString();  // "httproute default/name"
      const RouteReport* rep = nullptr;
      for (const auto& r : t.routes) {
        std::string kind = r.kind == "GRPCRoute" ? "grpcroute" : "httproute";
        if (kind + " " + r.meta.ns + "/" + r.meta.name == rname) rep = &r;
      }
      if (m.value.IsNull()) {
        EXPECT_TRUE(!rep || rep->parents.empty()) << rname << " has status of ours";
        continue;
      }
      ASSERT_TRUE(rep) << "no status for " << rname;
      const auto& want = m.value.GetArray();
      ASSERT_EQ(rep->parents.size(), want.Size()) << rname;
      for (std::size_t i = 0; i < want.Size(); ++i) {
        EXPECT_EQ(summary(rep->parents[i].conditions), strings(want[i])) << rname << " " << i;
      }
    }
  }
  if (e.HasMember("listeners")) {
    // "gw/http": ["attached", "Accepted=...", ...]
    for (const auto& m : e["listeners"].GetObject()) {
      const std::string key = m.name.GetString();
      const auto slash = key.find('/');
      const ListenerStatus* found = nullptr;
      for (const auto& g : t.gateways) {
        if (g.meta.name != key.substr(0, slash)) continue;
        for (const auto& l : g.listeners) {
          if (l.name == key.substr(slash + 1)) found = &l;
        }
      }
      ASSERT_TRUE(found) << "no listener " << key;
      auto want = strings(m.value);
      EXPECT_EQ(std::to_string(found->attached_routes), want.front()) << key;
      want.erase(want.begin());
      EXPECT_EQ(summary(found->conditions), want) << key;
    }
  }
  if (e.HasMember("gateways")) {
    for (const auto& m : e["gateways"].GetObject()) {
      const GatewayReport* found = nullptr;
      for (const auto& g : t.gateways) {
        if (g.meta.name == m.name.GetString()) found = &g;
      }
      if (m.value.IsNull()) {
        EXPECT_FALSE(found) << m.name.GetString();
        continue;
      }
      ASSERT_TRUE(found) << m.name.GetString();
      EXPECT_EQ(summary(found->conditions), strings(m.value));
    }
  }
  if (e.HasMember("certificates")) {
    std::vector<std::string> got;
    for (const auto& cert : cfg.certificates) {
      got.push_back(cert.name + (cert.errors.empty() ? "" : " (error)"));
    }
    EXPECT_EQ(got, strings(e["certificates"]));
  }
  // The table compiles without rejections, and requests reach the service the case names:
  // [method, host, path?query, headers, service] ("" when nothing matches); on "web" unless
  // the request names its entrypoint as a sixth item (with TLS for "websecure").
  auto table = compiler::compile({{"kubernetes", cfg}});
  for (const auto& d : table.diagnostics) {
    // A listener's broken certificate is also refused as a certificate (its status says why).
    if (d.kind == "gateway" || d.kind == "httproute" || d.kind == "grpcroute" ||
        d.kind == "certificate") {
      continue;
    }
    ADD_FAILURE() << "rejected " << d.kind << " " << d.name << ": " << d.message;
  }
  auto compiled = dataplane::routing::CompiledTable::build(table);
  ASSERT_TRUE(compiled.ok()) << compiled.error();
  if (e.HasMember("requests")) {
    for (const auto& q : e["requests"].GetArray()) {
      std::string method = q[0].GetString(), host = q[1].GetString(), path = q[2].GetString();
      auto query_at = path.find('?');
      std::string query = query_at == std::string::npos ? "" : path.substr(query_at + 1);
      path = path.substr(0, query_at);
      test::MatcherHeaders fields;
      for (const auto& h : q[3].GetObject()) fields.set(h.name.GetString(), h.value.GetString());
      const std::string ep = q.Size() > 5 ? q[5].GetString() : "web";
      rules::RequestView req{method, host, path, query, &fields, nullptr, ep == "websecure"};
      const auto* r = (*compiled)->match(ep, req);
      std::string got = r ? r->service->name.substr(0, r->service->name.find('@')) : "";
      EXPECT_EQ(got, q[4].GetString()) << method << " " << host << path << "?" << query;
    }
  }
}

TEST(GatewayTranslator, TableEveryCase) {
  const auto& cases =
      test::json_cases(std::string(WHARF_FIXTURES_DIR) + "/gateway-api/translation_cases.json");
  ASSERT_TRUE(cases.IsArray());
  for (const auto& c : cases.GetArray()) check_case(c);
  std::printf("%u Gateway API translation cases\n", cases.Size());
}

// Status is written only when it would change: translating again over the status written
// (conditions with their times) reports nothing changed.
TEST(GatewayTranslator, StatusTranslatingOverItsOwnStatusChangesNothing) {
  Snapshot snap;
  ASSERT_TRUE(add_objects(kCluster, snap).ok());
  ASSERT_TRUE(add_objects(kGateway, snap).ok());
  ASSERT_TRUE(
      add_objects(
          R"({"kind":"HTTPRoute","metadata":{"name":"r","namespace":"default","generation":3},
    "spec":{"parentRefs":[{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"gw"}],
    "rules":[{"backendRefs":[{"name":"web","port":80}]}]},
    "status":{"parents":[{"parentRef":{"name":"gw"},"controllerName":"example.com/other","conditions":[]}]}})",
          snap)
          .ok());
  Options opt;
  opt.enabled = true;
  const Index index(snap);
  auto first = translate(snap, index, opt, {{"192.0.2.10", ""}}, "2026-12-07T00:00:00Z");
  ASSERT_EQ(first.routes.size(), 1u);
  ASSERT_EQ(first.gateways.size(), 1u);
  EXPECT_TRUE(first.routes[0].changed);
  EXPECT_TRUE(first.gateways[0].changed);
  EXPECT_TRUE(first.classes[0].changed);
  // Another controller's entry is kept apart, to be written back as it was.
  ASSERT_EQ(first.routes[0].others.size(), 1u);
  EXPECT_EQ(first.routes[0].others[0].controller_name, "example.com/other");
  // As the API would hold it after the writes.
  snap.http_routes[0].parents.push_back(first.routes[0].parents[0]);
  snap.gateways[0].conditions = first.gateways[0].conditions;
  snap.gateways[0].listener_status = first.gateways[0].listeners;
  snap.gateways[0].status_addresses = first.gateways[0].addresses;
  for (auto& c : snap.gateway_classes) {
    if (c.meta.name != "wharf") continue;
    c.conditions = first.classes[0].conditions;
    c.supported_features = first.classes[0].supported_features;
  }
  auto again = translate(snap, index, opt, {{"192.0.2.10", ""}}, "2026-12-08T00:00:00Z");
  EXPECT_FALSE(again.routes[0].changed);
  EXPECT_FALSE(again.gateways[0].changed);
  EXPECT_FALSE(again.classes[0].changed);
  // A new generation moves observedGeneration, and only the time of a condition whose status
  // changed moves.
  snap.http_routes[0].meta.generation = 4;
  snap.http_routes[0].rules[0].backend_refs[0].name = "missing";
  auto changed = translate(snap, Index(snap), opt, {{"192.0.2.10", ""}}, "2026-12-09T00:00:00Z");
  ASSERT_TRUE(changed.routes[0].changed);
  const auto& conds = changed.routes[0].parents[0].conditions;
  EXPECT_EQ(conds[0].type, "Accepted");
  EXPECT_EQ(conds[0].observed_generation, 4);
  EXPECT_EQ(conds[0].last_transition_time, "2026-12-07T00:00:00Z");
  EXPECT_EQ(conds[1].type, "ResolvedRefs");
  EXPECT_EQ(conds[1].reason, "BackendNotFound");
  EXPECT_EQ(conds[1].last_transition_time, "2026-12-09T00:00:00Z");
}

}  // namespace
}  // namespace wharf::controller::kubernetes::gateway
