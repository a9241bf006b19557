// The Gateway API kinds decoded from the API's JSON (as `kubectl get -o json` prints them):
// every field the translator will read, from objects shaped like the Gateway API documentation's
// examples.

#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "controller/kubernetes/objects.hpp"
#include "test_common/clients.hpp"
#include "test_common/kube_api_fixture.hpp"

namespace wharf::controller::kubernetes {
namespace {

const char* kObjects = R"({"kind":"List","items":[
 {"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass","metadata":{"name":"wharf","generation":2},
  "spec":{"controllerName":"wharf.dev/gateway-controller"},
  "status":{"conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"","observedGeneration":2}]}},
 {"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"prod-web","namespace":"infra","generation":1},
  "spec":{"gatewayClassName":"wharf","addresses":[{"type":"IPAddress","value":"203.0.113.7"}],
   "listeners":[
    {"name":"http","protocol":"HTTP","port":80,"allowedRoutes":{"namespaces":{"from":"All"}}},
    {"name":"https","protocol":"HTTPS","port":443,"hostname":"*.example.com",
     "tls":{"mode":"Terminate","certificateRefs":[{"kind":"Secret","group":"","name":"wildcard","namespace":"certs"}]},
     "allowedRoutes":{"namespaces":{"from":"Selector","selector":{"matchLabels":{"shared-gateway-access":"true"},
       "matchExpressions":[{"key":"env","operator":"In","values":["prod","staging"]}]}},
       "kinds":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute"}]}}]}},
 {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"foo-route","namespace":"foo","generation":3,"creationTimestamp":"2026-12-01T10:00:00Z"},
  "spec":{"parentRefs":[{"name":"prod-web","namespace":"infra","sectionName":"https"}],
   "hostnames":["foo.example.com"],
   "rules":[
    {"name":"login","matches":[{"path":{"type":"PathPrefix","value":"/login"},
       "headers":[{"name":"env","value":"canary"},{"type":"RegularExpression","name":"x-v","value":"v[0-9]+"}],
       "queryParams":[{"name":"debug","value":"1"}],"method":"POST"}],
     "filters":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x-a","value":"1"}],"add":[{"name":"x-b","value":"2"}],"remove":["x-c"]}},
                {"type":"URLRewrite","urlRewrite":{"hostname":"internal","path":{"type":"ReplacePrefixMatch","replacePrefixMatch":"/auth"}}}],
     "backendRefs":[{"name":"foo-svc","port":8080,"weight":90},{"name":"foo-canary","namespace":"canary","port":8080,"weight":10}],
     "timeouts":{"request":"10s","backendRequest":"2s"}},
    {"filters":[{"type":"RequestRedirect","requestRedirect":{"scheme":"https","statusCode":301,"port":443}}]}]},
  "status":{"parents":[{"parentRef":{"name":"prod-web","namespace":"infra"},"controllerName":"wharf.dev/gateway-controller",
    "conditions":[{"type":"Accepted","status":"True","reason":"Accepted","observedGeneration":3}]}]}},
 {"apiVersion":"gateway.networking.k8s.io/v1","kind":"GRPCRoute","metadata":{"name":"grpc","namespace":"foo"},
  "spec":{"parentRefs":[{"name":"prod-web","namespace":"infra"}],
   "rules":[{"matches":[{"method":{"service":"com.example.User","method":"Login"},"headers":[{"name":"version","value":"2"}]}],
             "backendRefs":[{"name":"user-v2","port":50051}]}]}},
 {"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant","metadata":{"name":"allow-foo","namespace":"canary"},
  "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"foo"}],"to":[{"group":"","kind":"Service"}]}},
 {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo","labels":{"shared-gateway-access":"true","env":"prod"}}}
]})";

TEST(GatewayObjects, EveryFieldTheTranslatorReadsIsDecoded) {
  Snapshot snap;
  ASSERT_TRUE(add_objects(kObjects, snap).ok());
  ASSERT_EQ(snap.gateway_classes.size(), 1u);
  EXPECT_EQ(snap.gateway_classes[0].controller_name, "wharf.dev/gateway-controller");
  ASSERT_EQ(snap.gateway_classes[0].conditions.size(), 1u);
  EXPECT_EQ(snap.gateway_classes[0].conditions[0].observed_generation, 2);

  ASSERT_EQ(snap.gateways.size(), 1u);
  const auto& gw = snap.gateways[0];
  EXPECT_EQ(gw.class_name, "wharf");
  EXPECT_EQ(gw.addresses, std::vector<std::string>{"203.0.113.7"});
  ASSERT_EQ(gw.listeners.size(), 2u);
  EXPECT_EQ(gw.listeners[0].namespaces_from, "All");
  EXPECT_EQ(gw.listeners[0].port, 80);
  const auto& https = gw.listeners[1];
  EXPECT_EQ(https.hostname, "*.example.com");
  EXPECT_EQ(https.tls_mode, "Terminate");
  ASSERT_EQ(https.certificate_refs.size(), 1u);
  EXPECT_EQ(https.certificate_refs[0].ns, "certs");
  EXPECT_EQ(https.namespaces_from, "Selector");
  ASSERT_TRUE(https.namespaces_selector);
  EXPECT_EQ(https.namespaces_selector->match_labels.at("shared-gateway-access"), "true");
  ASSERT_EQ(https.namespaces_selector->match_expressions.size(), 1u);
  EXPECT_EQ(https.namespaces_selector->match_expressions[0].values,
            (std::vector<std::string>{"prod", "staging"}));
  ASSERT_EQ(https.allowed_kinds.size(), 1u);
  EXPECT_EQ(https.allowed_kinds[0].kind, "HTTPRoute");

  ASSERT_EQ(snap.http_routes.size(), 2u);
  const auto& r = snap.http_routes[0];
  EXPECT_EQ(r.kind, "HTTPRoute");
  EXPECT_EQ(r.meta.generation, 3);
  EXPECT_EQ(r.meta.creation_timestamp, "2026-12-01T10:00:00Z");
  ASSERT_EQ(r.parent_refs.size(), 1u);
  EXPECT_EQ(r.parent_refs[0].section_name, "https");
  EXPECT_EQ(r.hostnames, std::vector<std::string>{"foo.example.com"});
  ASSERT_EQ(r.rules.size(), 2u);
  const auto& login = r.rules[0];
  EXPECT_EQ(login.name, "login");
  ASSERT_EQ(login.matches.size(), 1u);
  EXPECT_EQ(login.matches[0].path_type, "PathPrefix");
  EXPECT_EQ(login.matches[0].path_value, "/login");
  ASSERT_EQ(login.matches[0].headers.size(), 2u);
  EXPECT_EQ(login.matches[0].headers[1].type, "RegularExpression");
  EXPECT_EQ(login.matches[0].query_params[0].name, "debug");
  EXPECT_EQ(login.matches[0].method, "POST");
  ASSERT_EQ(login.filters.size(), 2u);
  EXPECT_EQ(login.filters[0].headers.set[0].first, "x-a");
  EXPECT_EQ(login.filters[0].headers.add[0].second, "2");
  EXPECT_EQ(login.filters[0].headers.remove, std::vector<std::string>{"x-c"});
  EXPECT_EQ(login.filters[1].hostname, "internal");
  ASSERT_TRUE(login.filters[1].path);
  EXPECT_EQ(login.filters[1].path->type, "ReplacePrefixMatch");
  EXPECT_EQ(login.filters[1].path->value, "/auth");
  ASSERT_EQ(login.backend_refs.size(), 2u);
  EXPECT_EQ(login.backend_refs[0].weight, 90);
  EXPECT_EQ(login.backend_refs[1].ns, "canary");
  EXPECT_EQ(login.request_timeout, "10s");
  EXPECT_EQ(login.backend_request_timeout, "2s");
  EXPECT_EQ(r.rules[1].filters[0].status_code, 301);
  EXPECT_EQ(r.rules[1].filters[0].scheme, "https");
  ASSERT_EQ(r.parents.size(), 1u);
  EXPECT_EQ(r.parents[0].conditions[0].observed_generation, 3);

  const auto& grpc = snap.http_routes[1];
  EXPECT_EQ(grpc.kind, "GRPCRoute");
  EXPECT_EQ(grpc.rules[0].matches[0].path_value, "/com.example.User/Login");
  EXPECT_EQ(grpc.rules[0].backend_refs[0].weight, 1);  // The API's default.

  ASSERT_EQ(snap.reference_grants.size(), 1u);
  EXPECT_EQ(snap.reference_grants[0].from[0].ns, "foo");
  EXPECT_EQ(snap.reference_grants[0].to[0].kind, "Service");
  ASSERT_EQ(snap.namespaces.size(), 1u);
  EXPECT_EQ(snap.namespaces[0].meta.labels.at("env"), "prod");
}

// The fixture API server serves the Gateway API kinds (and Namespaces) as typed lists at their
// group's paths, which the decoder reads back.
TEST(GatewayObjects, TheFixtureApiServesTheGatewayKinds) {
  test::KubeApiFixture api;
  rapidjson::Document list;
  list.Parse(kObjects);
  const rapidjson::Value& items = list["items"];
  for (const auto& item : items.GetArray()) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    item.Accept(w);
    api.apply(b.GetString());
  }
  Snapshot snap;
  for (const char* path :
       {"/apis/gateway.networking.k8s.io/v1/gatewayclasses",
        "/apis/gateway.networking.k8s.io/v1/gateways",
        "/apis/gateway.networking.k8s.io/v1/httproutes",
        "/apis/gateway.networking.k8s.io/v1/grpcroutes",
        "/apis/gateway.networking.k8s.io/v1beta1/referencegrants", "/api/v1/namespaces"}) {
    test::HttpClient c(api.port());
    auto r =
        c.request("GET", path, {{"Host", "127.0.0.1"}, {"Authorization", "Bearer fixture-token"}});
    ASSERT_EQ(r.status, 200u) << path << " " << r.body;
    ASSERT_TRUE(add_objects(r.body, snap).ok()) << path;
  }
  EXPECT_EQ(snap.gateway_classes.size(), 1u);
  EXPECT_EQ(snap.gateways.size(), 1u);
  EXPECT_EQ(snap.http_routes.size(), 2u);
  EXPECT_EQ(snap.reference_grants.size(), 1u);
  EXPECT_EQ(snap.namespaces.size(), 1u);
  EXPECT_EQ(snap.gateways[0].listeners.size(), 2u);
}

// Status written as Gateway API controllers write it: PUT of the status subresource with the
// resourceVersion read (409 when another writer came first), or a merge patch carrying one as a
// precondition; the spec and its generation are untouched.
TEST(GatewayObjects, StatusSubresourceWritesAreConditionalOnTheResourceVersion) {
  test::KubeApiFixture api;
  api.apply(R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",)"
            R"("metadata":{"name":"r","namespace":"foo"},"spec":{"hostnames":["a.example"]}})");
  auto current = [&] {
    Snapshot snap;
    EXPECT_TRUE(add_objects(*api.get("HTTPRoute", "foo", "r"), snap).ok());
    return snap.http_routes.at(0);
  };
  const auto before = current();
  const std::string path = "/apis/gateway.networking.k8s.io/v1/namespaces/foo/httproutes/r/status";
  auto put = [&](const std::string& rv, const std::string& reason) {
    test::HttpClient c(api.port());
    return c
        .request("PUT", path,
                 {{"Host", "127.0.0.1"},
                  {"Authorization", "Bearer fixture-token"},
                  {"Content-Type", "application/json"}},
                 R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",)"
                 R"("metadata":{"name":"r","namespace":"foo","resourceVersion":")" +
                     rv + R"("},"spec":{"hostnames":["changed.example"]},)" +
                     R"("status":{"parents":[{"parentRef":{"name":"gw"},"controllerName":"x",)" +
                     R"("conditions":[{"type":"Accepted","status":"True","reason":")" + reason +
                     R"("}]}]}})")
        .status;
  };
  EXPECT_EQ(put("1", "Stale"), 409u);
  EXPECT_EQ(put(before.meta.resource_version, "Accepted"), 200u);
  auto after = current();
  EXPECT_EQ(after.hostnames, std::vector<std::string>{"a.example"});  // The spec stays.
  EXPECT_EQ(after.meta.generation, before.meta.generation);
  ASSERT_EQ(after.parents.size(), 1u);
  EXPECT_EQ(after.parents[0].conditions[0].reason, "Accepted");
  // A merge patch with a stale resourceVersion is refused too.
  test::HttpClient c(api.port());
  auto patched = c.request("PATCH", path,
                           {{"Host", "127.0.0.1"},
                            {"Authorization", "Bearer fixture-token"},
                            {"Content-Type", "application/merge-patch+json"}},
                           R"({"metadata":{"resourceVersion":")" + before.meta.resource_version +
                               R"("},"status":{"parents":[]}})");
  EXPECT_EQ(patched.status, 409u);
  EXPECT_GE(api.conflicts(), 2u);
}

}  // namespace
}  // namespace wharf::controller::kubernetes
