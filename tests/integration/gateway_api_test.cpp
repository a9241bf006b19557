// The Gateway API served by the real controller (--gateway-api) and data plane from the fixture
// API server, with real backends on 127.0.0.x: matching, each filter, weights, ReferenceGrants,
// HTTPS listeners, and the status conditions the controller writes as the objects change.

#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "test_common/certificates.hpp"
#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/eventually.hpp"
#include "test_common/grpc_peer.hpp"
#include "test_common/kube_api_fixture.hpp"
#include "test_common/kube_cluster.hpp"
#include "test_common/upstream_server.hpp"
#include "text/base64.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string in_namespace(std::string json, const std::string& ns) {
  for (std::size_t at = json.find(R"("namespace":"shop")"); at != std::string::npos;
       at = json.find(R"("namespace":"shop")", at + 1)) {
    json.replace(at, 18, R"("namespace":")" + ns + R"(")");
  }
  return json;
}

const char* kClass =
    R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass","metadata":{"name":"wharf"},)"
    R"("spec":{"controllerName":"wharf.dev/gateway-controller"}})";

// Gateway "gw" in shop: an HTTP listener on 80 for every namespace, and an HTTPS one on 443
// for secure.example with Secret shop/secure-tls.
const char* kGateway =
    R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"shop"},)"
    R"("spec":{"gatewayClassName":"wharf","listeners":[)"
    R"({"name":"http","protocol":"HTTP","port":80,"allowedRoutes":{"namespaces":{"from":"All"}}},)"
    R"({"name":"https","protocol":"HTTPS","port":443,"hostname":"secure.example",)"
    R"("tls":{"certificateRefs":[{"name":"secure-tls"}]}}]}})";

// HTTPRoute `name` in shop attached to `parents` (the whole Gateway gw by default).
std::string route(const std::string& name, const std::string& spec_rest,
                  const std::string& parents = R"([{"name":"gw"}])") {
  return R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":")" +
         name + R"(","namespace":"shop"},"spec":{"parentRefs":)" + parents + "," + spec_rest + "}}";
}

class GatewayApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    c_ = new Cluster;
    app_ = new UpstreamServer("app", "127.0.0.1", 0);
    blue_ = new UpstreamServer("blue", "127.0.0.61", 0);
    green_ = new UpstreamServer("green", "127.0.0.62", blue_->port());
    green2_ = new UpstreamServer("green", "127.0.0.63", blue_->port());
    api_ = new UpstreamServer("api", "127.0.0.64", blue_->port());
    certs_ = new Certificates;
    auto& k = c_->api;
    k.apply(kClass);
    k.apply(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})");
    k.apply(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}})");
    k.apply(service("app"));
    k.apply(slice("app", {"127.0.0.1"}, app_->port()));
    k.apply(service("blue"));
    k.apply(slice("blue", {"127.0.0.61"}, blue_->port()));
    k.apply(service("green"));
    k.apply(slice("green", {"127.0.0.62", "127.0.0.63"}, blue_->port()));
    k.apply(in_namespace(service("api"), "other"));
    k.apply(in_namespace(slice("api", {"127.0.0.64"}, blue_->port()), "other"));
    auto secure = certs_->make("secure", "secure.example", "DNS:secure.example");
    k.apply(
        R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"secure-tls","namespace":"shop"},)"
        R"("type":"kubernetes.io/tls","data":{"tls.crt":")" +
        text::base64_encode(secure.cert_pem) + R"(","tls.key":")" +
        text::base64_encode(secure.key_pem) + R"("}})");
    k.apply(kGateway);
    // The data plane's one entrypoint serves both listeners (it takes TLS and plain HTTP).
    c_->start_controller(
        {"--gateway-api", "--publish-address", "203.0.113.7", "--gateway-entrypoint", "443=web"});
  }
  static void TearDownTestSuite() {
    delete c_;
    for (auto* s : {app_, blue_, green_, green2_, api_}) delete s;
    delete certs_;
  }

  void serve(const std::vector<std::string>& objects, const std::string& host, unsigned status,
             const std::string& path = "/") {
    for (const auto& o : objects) c_->api.apply(o);
    ASSERT_TRUE(eventually([&] { return get(host, path).status == status; }))
        << host << path << " never answered " << status << "\n"
        << c_->ctl->log();
  }
  Response get(const std::string& host, const std::string& target,
               std::map<std::string, std::string> headers = {}, const std::string& method = "GET") {
    headers["Host"] = host;
    return HttpClient(c_->dp.port()).request(method, target, headers);
  }
  // The route's (or Gateway's) stored JSON once `needle` is in it.
  std::string status_with(const std::string& kind, const std::string& name,
                          const std::string& needle) {
    std::string json;
    eventually([&] {
      json = c_->api.get(kind, "shop", name).value_or("");
      return contains(json, needle);
    });
    return json;
  }

  static Cluster* c_;
  static UpstreamServer *app_, *blue_, *green_, *green2_, *api_;
  static Certificates* certs_;
};
Cluster* GatewayApi::c_ = nullptr;
UpstreamServer *GatewayApi::app_, *GatewayApi::blue_, *GatewayApi::green_, *GatewayApi::green2_,
    *GatewayApi::api_;
Certificates* GatewayApi::certs_;

TEST_F(GatewayApi, MatchesHostPathHeaderQueryAndMethod) {
  serve({route("match", R"("hostnames":["match.example"],"rules":[
    {"backendRefs":[{"name":"app","port":80}]},
    {"matches":[{"path":{"type":"Exact","value":"/exact"}}],"backendRefs":[{"name":"blue","port":80}]},
    {"matches":[{"path":{"type":"PathPrefix","value":"/api"},"headers":[{"name":"X-Version","value":"2"}]}],"backendRefs":[{"name":"blue","port":80}]},
    {"matches":[{"queryParams":[{"name":"beta","value":"yes"}]}],"backendRefs":[{"name":"blue","port":80}]},
    {"matches":[{"method":"DELETE"}],"backendRefs":[{"name":"blue","port":80}]}])")},
        "match.example", 200);
  auto upstream = [&](const std::string& path, std::map<std::string, std::string> h = {},
                      const std::string& method = "GET") {
    return get("match.example", path, std::move(h), method).headers["x-upstream"];
  };
  EXPECT_EQ(upstream("/"), "app");
  EXPECT_EQ(upstream("/exact"), "blue");
  EXPECT_EQ(upstream("/exact/more"), "app");
  EXPECT_EQ(upstream("/api/x", {{"X-Version", "2"}}), "blue");
  EXPECT_EQ(upstream("/api/x", {{"X-Version", "1"}}), "app");
  EXPECT_EQ(upstream("/apiary", {{"X-Version", "2"}}), "app");  // Element-wise prefix.
  EXPECT_EQ(upstream("/?beta=yes"), "blue");
  EXPECT_EQ(upstream("/", {}, "DELETE"), "blue");
  EXPECT_EQ(get("elsewhere.example", "/").status, 404u);
}

TEST_F(GatewayApi, EachFilterDoesWhatTheSpecSays) {
  serve({route("filters", R"("hostnames":["filters.example"],"rules":[
    {"matches":[{"path":{"type":"PathPrefix","value":"/headers"}}],"filters":[
      {"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"X-Set","value":"new"}],"add":[{"name":"X-Add","value":"added"}],"remove":["X-Remove"]}},
      {"type":"ResponseHeaderModifier","responseHeaderModifier":{"add":[{"name":"X-Resp","value":"wharf"}]}}],
     "backendRefs":[{"name":"app","port":80}]},
    {"matches":[{"path":{"type":"PathPrefix","value":"/old"}}],"filters":[
      {"type":"RequestRedirect","requestRedirect":{"scheme":"https","hostname":"new.example","path":{"type":"ReplacePrefixMatch","replacePrefixMatch":"/new"},"statusCode":301}}]},
    {"matches":[{"path":{"type":"PathPrefix","value":"/port"}}],"filters":[
      {"type":"RequestRedirect","requestRedirect":{"port":8080}}]},
    {"matches":[{"path":{"type":"PathPrefix","value":"/prefix/one"}}],"filters":[
      {"type":"URLRewrite","urlRewrite":{"hostname":"internal.example","path":{"type":"ReplacePrefixMatch","replacePrefixMatch":"/one"}}}],
     "backendRefs":[{"name":"app","port":80}]},
    {"matches":[{"path":{"type":"PathPrefix","value":"/full"}}],"filters":[
      {"type":"URLRewrite","urlRewrite":{"path":{"type":"ReplaceFullPath","replaceFullPath":"/replaced"}}}],
     "backendRefs":[{"name":"app","port":80}]}])")},
        "filters.example", 200, "/headers");
  auto r = get("filters.example", "/headers",
               {{"X-Set", "old"}, {"X-Add", "client"}, {"X-Remove", "gone"}});
  EXPECT_TRUE(contains(r.body, "x-set: new\n")) << r.body;
  EXPECT_FALSE(contains(r.body, "old")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Add: client\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "x-add: added\n")) << r.body;
  EXPECT_FALSE(contains(r.body, "gone")) << r.body;
  EXPECT_EQ(r.headers["x-resp"], "wharf");
  r = get("filters.example", "/old/page?q=1");
  EXPECT_EQ(r.status, 301u);
  EXPECT_EQ(r.headers["location"], "https://new.example/new/page?q=1");
  r = get("filters.example", "/port/x");
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(r.headers["location"], "http://filters.example:8080/port/x");
  r = get("filters.example", "/prefix/one/two?k=v");
  EXPECT_TRUE(contains(r.body, "GET /one/two?k=v\n")) << r.body;
  EXPECT_TRUE(contains(r.body, "Host: internal.example\n") ||
              contains(r.body, "host: internal.example\n"))
      << r.body;
  r = get("filters.example", "/full/anything");
  EXPECT_TRUE(contains(r.body, "GET /replaced\n")) << r.body;
}

TEST_F(GatewayApi, WeightsHoldWithinFivePercentAndAMissingBackendKeepsItsShareAs500) {
  serve({route("split", R"("hostnames":["split.example"],"rules":[
    {"backendRefs":[{"name":"blue","port":80,"weight":1},{"name":"green","port":80,"weight":3}]}])")},
        "split.example", 200);
  ASSERT_TRUE(
      eventually([&] { return get("split.example", "/").headers["x-upstream"] == "green"; }));
  HttpClient client(c_->dp.port());
  std::map<std::string, int> seen;
  for (int i = 0; i < 2000; ++i) {
    ++seen[client.request("GET", "/", {{"Host", "split.example"}}).headers["x-upstream"]];
  }
  std::printf("weights 1:3 over 2000 requests: blue %d, green %d\n", seen["blue"], seen["green"]);
  EXPECT_GE(seen["green"], 1400);  // 75 % ± 5 %, though green has two endpoints to blue's one.
  EXPECT_LE(seen["green"], 1600);
  EXPECT_EQ(seen["blue"] + seen["green"], 2000);

  serve({route("split", R"("hostnames":["split.example"],"rules":[
    {"backendRefs":[{"name":"blue","port":80,"weight":1},{"name":"nowhere","port":80,"weight":1}]}])")},
        "split.example", 500);
  std::map<unsigned, int> statuses;
  for (int i = 0; i < 200; ++i)
    ++statuses[client.request("GET", "/", {{"Host", "split.example"}}).status];
  EXPECT_EQ(statuses[200], 100);
  EXPECT_EQ(statuses[500], 100);
  auto json = status_with("HTTPRoute", "split", "BackendNotFound");
  EXPECT_TRUE(
      contains(json, R"("type":"ResolvedRefs","status":"False","reason":"BackendNotFound")"))
      << json;
}

TEST_F(GatewayApi, CrossNamespaceBackendIsRefusedUntilAReferenceGrantAllowsIt) {
  serve({route("cross", R"("hostnames":["cross.example"],"rules":[
    {"backendRefs":[{"name":"api","namespace":"other","port":80}]}])")},
        "cross.example", 500);
  auto json = status_with("HTTPRoute", "cross", "RefNotPermitted");
  EXPECT_TRUE(contains(json, R"("reason":"RefNotPermitted")")) << json;
  serve(
      {R"({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant","metadata":{"name":"shop-routes","namespace":"other"},)"
       R"("spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"shop"}],"to":[{"group":"","kind":"Service"}]}})"},
      "cross.example", 200);
  EXPECT_EQ(get("cross.example", "/").headers["x-upstream"], "api");
  json = status_with("HTTPRoute", "cross", R"("reason":"ResolvedRefs")");
  EXPECT_TRUE(contains(json, R"("type":"ResolvedRefs","status":"True")")) << json;
}

TEST_F(GatewayApi, HttpsListenerServesItsSecretsCertificate) {
  c_->api.apply(route(
      "secure",
      R"("hostnames":["secure.example"],"rules":[{"backendRefs":[{"name":"app","port":80}]}])",
      R"([{"name":"gw","sectionName":"https"}])"));
  const std::string port = std::to_string(c_->dp.port());
  std::string out;
  ASSERT_TRUE(eventually([&] {
    out = run_command({"curl", "-sS", "-v", "--cacert", certs_->path("secure.crt"), "--resolve",
                       "secure.example:" + port + ":127.0.0.1",
                       "https://secure.example:" + port + "/"})
              .out;
    return contains(out, "X-Forwarded-Proto: https");
  })) << out;
  EXPECT_TRUE(contains(out, "subject: CN=secure.example")) << out;
  // Attached to the HTTPS listener only: plain HTTP does not reach it.
  EXPECT_EQ(get("secure.example", "/").status, 404u);
}

TEST_F(GatewayApi, StatusFollowsTheObjectsAndIsWrittenOnlyWhenItChanges) {
  // The first status write loses a race with another writer (409): it is computed again
  // from the version the watch brings, and written then.
  const auto conflicts_before = c_->api.conflicts();
  c_->api.race_next_update("HTTPRoute", R"({"metadata":{"labels":{"touched":"by-another"}}})");
  serve(
      {route(
          "status",
          R"("hostnames":["status.example"],"rules":[{"backendRefs":[{"name":"app","port":80}]}])")},
      "status.example", 200);
  auto json = status_with("HTTPRoute", "status", R"("reason":"ResolvedRefs")");
  EXPECT_TRUE(contains(json, R"("controllerName":"wharf.dev/gateway-controller")")) << json;
  EXPECT_TRUE(contains(json, R"("touched":"by-another")")) << json;
  EXPECT_EQ(c_->api.conflicts(), conflicts_before + 1);
  EXPECT_TRUE(contains(json, R"("type":"Accepted","status":"True","reason":"Accepted")")) << json;
  EXPECT_TRUE(contains(json, R"("observedGeneration":1)")) << json;
  auto gw = status_with("Gateway", "gw", R"("attachedRoutes")");
  EXPECT_TRUE(contains(gw, R"("type":"Programmed","status":"True")")) << gw;
  EXPECT_TRUE(contains(gw, R"({"type":"IPAddress","value":"203.0.113.7"})")) << gw;
  std::string cls;
  ASSERT_TRUE(eventually([&] {
    cls = c_->api.get("GatewayClass", "", "wharf").value_or("");
    return contains(cls, "supportedFeatures");
  })) << cls;
  EXPECT_TRUE(contains(cls, R"("type":"Accepted","status":"True")")) << cls;
  EXPECT_TRUE(contains(cls, R"({"name":"HTTPRoute"})")) << cls;

  // A hostname outside every listener: NoMatchingListenerHostname, with a new generation.
  c_->api.apply(route(
      "status",
      R"("hostnames":["elsewhere.example"],"rules":[{"backendRefs":[{"name":"app","port":80}]}])",
      R"([{"name":"gw","sectionName":"https"}])"));
  json = status_with("HTTPRoute", "status", "NoMatchingListenerHostname");
  EXPECT_TRUE(contains(json, R"("observedGeneration":2)")) << json;
  // An Event says it too.
  EXPECT_TRUE(eventually([&] {
    for (const auto& e : c_->api.list("Event")) {
      if (contains(e, "httproute shop/status") && contains(e, "no hostname")) return true;
    }
    return false;
  }));
  // A listener made invalid (its Secret gone) says so, and the route on it is not served.
  c_->api.remove("Secret", "shop", "secure-tls");
  gw = status_with("Gateway", "gw", "InvalidCertificateRef");
  EXPECT_TRUE(contains(gw, R"("reason":"InvalidCertificateRef")")) << gw;

  // The metric counts them: the route's problem, the listener's (and its certificate's).
  const auto at = c_->ctl->wait_for_log("metrics address=127.0.0.1:", 10s);
  ASSERT_NE(at, std::string::npos) << c_->ctl->log();
  const auto metrics_port = static_cast<std::uint16_t>(std::stoul(c_->ctl->log().substr(at, 6)));
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    metrics = HttpClient(metrics_port).request("GET", "/metrics").body;
    return contains(metrics, R"(wharf_controller_rejected_objects{kind="httproute"} 1)") &&
           contains(metrics, R"(wharf_controller_rejected_objects{kind="gateway"} 1)");
  })) << metrics;
  // --check lists both problems, and fails on them.
  auto check = run_command({WHARF_CONTROLLER_BINARY, "--check", "--gateway-api", "--kubeconfig",
                            c_->api.write_kubeconfig(c_->dir.path()), "--docker-endpoint", "off"});
  EXPECT_EQ(check.status, 1) << check.out;
  EXPECT_TRUE(contains(check.out, "httproute shop/status@kubernetes")) << check.out;
  EXPECT_TRUE(contains(check.out, "no hostname of the route is within")) << check.out;
  EXPECT_TRUE(contains(check.out, "secret shop/secure-tls not found")) << check.out;

  // Settled: no more status writes while nothing changes.
  std::this_thread::sleep_for(1500ms);
  auto patches = [&] {
    std::size_t n = 0;
    for (const auto& r : c_->api.requests()) n += r.starts_with("PATCH") && contains(r, "/status");
    return n;
  };
  const auto before = patches();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(patches(), before);
}

// A GRPCRoute to a real gRPC server: matched methods pass (unary and bidirectional streaming,
// over h2c to the backend), another method of the service is not routed (UNIMPLEMENTED).
TEST_F(GatewayApi, GrpcRouteRoutesMethodsToARealGrpcServer) {
  GrpcServer server;
  c_->api.apply(service("grpc"));
  c_->api.apply(slice("grpc", {"127.0.0.1"}, static_cast<std::uint16_t>(server.port())));
  c_->api.apply(
      R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GRPCRoute","metadata":{"name":"greeter","namespace":"shop"},)"
      R"("spec":{"parentRefs":[{"name":"gw","sectionName":"http"}],"rules":[)"
      R"({"matches":[{"method":{"service":"wharf.Test","method":"Unary"}},{"method":{"service":"wharf.Test","method":"Bidi"}}],)"
      R"("backendRefs":[{"name":"grpc","port":80}]}]}})");
  const std::string target = "127.0.0.1:" + std::to_string(c_->dp.port());
  std::string answer;
  ASSERT_TRUE(eventually([&] {
    answer = grpc_call(target, "unary", "hello");
    return answer == "ok echo:hello";
  })) << answer
      << "\n"
      << c_->ctl->log();
  EXPECT_EQ(grpc_call(target, "bidi", "alpha,beta"), "ok ALPHA|BETA");
  EXPECT_EQ(grpc_call(target, "server", "3").rfind("error UNIMPLEMENTED", 0), 0u);
  auto json = status_with("GRPCRoute", "greeter", R"("reason":"ResolvedRefs")");
  EXPECT_TRUE(contains(json, R"("type":"Accepted","status":"True")")) << json;
}

// Without the Gateway API CRDs, --gateway-api says so and everything else is served.
TEST(GatewayApiAbsent, WithoutTheCrdsTheControllerSaysSoAndServesIngresses) {
  UpstreamServer web("web", "127.0.0.65", 0);
  Cluster c;
  c.api.hide("/apis/gateway.networking.k8s.io");
  c.add_app("web", {"127.0.0.65"}, web.port());
  c.api.apply(ingress("web", "web.example", "web"));
  c.start_controller({"--gateway-api"});
  ASSERT_TRUE(c.eventually("web.example", 200)) << c.ctl->log();
  EXPECT_TRUE(contains(c.ctl->log(), "the Gateway API CRDs are not installed")) << c.ctl->log();
}

}  // namespace
}  // namespace wharf::test
