// ingress-nginx Ingresses, annotations included, served by the real controller (--ingress-nginx)
// and data plane from the fixture API server, with real backends on 127.0.0.x: each annotation
// family answers real requests the way ingress-nginx documents it.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/eventually.hpp"
#include "test_common/kube_api_fixture.hpp"
#include "test_common/kube_cluster.hpp"
#include "test_common/upstream_server.hpp"
#include "text/base64.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;
using Annotations = std::map<std::string, std::string>;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// An Ingress of class nginx in namespace shop: one host, one path to `service` port http.
std::string nginx_ingress(const std::string& name, const std::string& host,
                          const std::string& service, const Annotations& annotations = {},
                          const std::string& path = "/", const std::string& path_type = "Prefix",
                          bool tls = false) {
  std::string ann;
  for (const auto& [k, v] : annotations) {
    ann += (ann.empty() ? "" : ",") + json_string("nginx.ingress.kubernetes.io/" + k) + ":" +
           json_string(v);
  }
  return R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":")" + name +
         R"(","namespace":"shop","annotations":{)" + ann +
         R"(}},"spec":{"ingressClassName":"nginx",)" +
         (tls ? R"("tls":[{"hosts":[")" + host + R"("]}],)" : std::string()) +
         R"("rules":[{"host":")" + host + R"(","http":{"paths":[{"path":)" + json_string(path) +
         R"(,"pathType":")" + path_type + R"(","backend":{"service":{"name":")" + service +
         R"(","port":{"name":"http"}}}}]}}]}})";
}

std::string nginx_class() {
  return R"({"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"nginx"},)"
         R"("spec":{"controller":"k8s.io/ingress-nginx"}})";
}

std::string opaque_secret(const std::string& name, const std::string& key,
                          const std::string& value) {
  return R"({"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":")" + name +
         R"(","namespace":"shop"},"data":{")" + key + R"(":")" + text::base64_encode(value) +
         R"("}})";
}

// One cluster for every test here: the fixture API, a data plane and the controller with
// --ingress-nginx, each backend a real server.
class IngressNginx : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    c_ = new Cluster;
    app_ = new UpstreamServer("app", "127.0.0.1", 0);
    auth_ = new UpstreamServer("auth", "127.0.0.1", 0);
    pages_ = new UpstreamServer("pages", "127.0.0.1", 0);
    stable_ = new UpstreamServer("stable", "127.0.0.31", 0);
    canary_ = new UpstreamServer("canary", "127.0.0.32", stable_->port());
    pod_a_ = new UpstreamServer("pod-a", "127.0.0.41", 0);
    pod_b_ = new UpstreamServer("pod-b", "127.0.0.42", pod_a_->port());
    auto& api = c_->api;
    api.apply(nginx_class());
    for (auto [name, ip, port] : {std::tuple{"app", "127.0.0.1", app_->port()},
                                  std::tuple{"pages", "127.0.0.1", pages_->port()},
                                  std::tuple{"stable", "127.0.0.31", stable_->port()},
                                  std::tuple{"canary", "127.0.0.32", stable_->port()}}) {
      api.apply(service(name));
      api.apply(slice(name, {ip}, port));
    }
    api.apply(service("sticky"));
    api.apply(slice("sticky", {"127.0.0.41", "127.0.0.42"}, pod_a_->port()));
    c_->start_controller({"--ingress-nginx", "--publish-address", "203.0.113.7",
                          "--ingress-nginx-configmap", "ingress-nginx/ingress-nginx-controller"});
  }
  static void TearDownTestSuite() {
    delete c_;
    for (auto* s : {app_, auth_, pages_, stable_, canary_, pod_a_, pod_b_}) delete s;
  }

  // Applies the objects and waits until `host` answers `status` at `path`.
  void serve(const std::vector<std::string>& objects, const std::string& host, unsigned status,
             const std::string& path = "/") {
    for (const auto& o : objects) c_->api.apply(o);
    for (int i = 0; i < 300; ++i) {
      if (get(host, path).status == status) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << host << path << " never answered " << status << "\n" << c_->ctl->log();
  }
  Response get(const std::string& host, const std::string& target,
               std::map<std::string, std::string> headers = {}, const std::string& method = "GET",
               const std::string& body = {}) {
    headers["Host"] = host;
    return HttpClient(c_->dp.port()).request(method, target, headers, body);
  }

  static Cluster* c_;
  static UpstreamServer *app_, *auth_, *pages_, *stable_, *canary_, *pod_a_, *pod_b_;
};
Cluster* IngressNginx::c_ = nullptr;
UpstreamServer *IngressNginx::app_, *IngressNginx::auth_, *IngressNginx::pages_,
    *IngressNginx::stable_, *IngressNginx::canary_, *IngressNginx::pod_a_, *IngressNginx::pod_b_;

TEST_F(IngressNginx, BodyLimitIs413ByDefaultAndZeroStreamsA50MegabyteUpload) {
  serve({nginx_ingress("small", "small.example", "app"),
         nginx_ingress("big", "big.example", "app", {{"proxy-body-size", "0"}})},
        "big.example", 200);
  // 1m by default, as ingress-nginx: a 2 MiB body is refused up front.
  EXPECT_EQ(get("small.example", "/upload", {}, "POST", std::string(2 << 20, 'x')).status, 413u);
  EXPECT_EQ(get("small.example", "/upload", {}, "POST", std::string(1000, 'x')).status, 200u);
  // No limit: 50 MiB streams through (curl reads it from a file; nothing holds it whole).
  TempDir dir;
  const std::string file = dir.path() + "/upload.bin";
  { std::ofstream create(file); }
  std::filesystem::resize_file(file, 50ull << 20);
  auto r = run_command({"curl", "-sS", "--data-binary", "@" + file, "-H", "Host: big.example",
                        "http://127.0.0.1:" + std::to_string(c_->dp.port()) + "/upload"});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "received " + std::to_string(50ull << 20))) << r.out;
}

TEST_F(IngressNginx, ReadTimeoutIsA504) {
  serve({nginx_ingress("slow", "slow.example", "app", {{"proxy-read-timeout", "1"}})},
        "slow.example", 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(get("slow.example", "/slow/3000").status, 504u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2800ms);
  EXPECT_EQ(get("slow.example", "/slow/200").status, 200u);
}

TEST_F(IngressNginx, BasicAuthFromASecretAndClosedWithoutIt) {
  auto hash = run_command({"openssl", "passwd", "-apr1", "s3cret"});
  ASSERT_EQ(hash.status, 0);
  std::string line = "alice:" + hash.out.substr(0, hash.out.find('\n')) + "\n";
  serve({opaque_secret("basic-auth", "auth", line),
         nginx_ingress("private", "private.example", "app",
                       {{"auth-type", "basic"},
                        {"auth-secret", "basic-auth"},
                        {"auth-realm", "Authentication Required"}}),
         nginx_ingress("broken", "broken.example", "app",
                       {{"auth-type", "basic"}, {"auth-secret", "missing"}})},
        "private.example", 401);
  auto r = get("private.example", "/");
  EXPECT_EQ(r.headers["www-authenticate"], "Basic realm=\"Authentication Required\"");
  EXPECT_EQ(get("private.example", "/", {{"Authorization", "Basic YWxpY2U6czNjcmV0"}}).status,
            200u);
  EXPECT_EQ(get("private.example", "/", {{"Authorization", "Basic YWxpY2U6d3Jvbmc="}}).status,
            401u);
  // The Secret does not exist: the route answers 503, never the app unprotected.
  EXPECT_TRUE(c_->eventually("broken.example", 503));
}

TEST_F(IngressNginx, ExternalAuthAsksTheAuthServerAndSendsToSignIn) {
  serve({nginx_ingress(
             "sso", "sso.example", "app",
             {{"auth-url", auth_->url() + "/auth"}, {"auth-response-headers", "X-Auth-User"}}),
         nginx_ingress("signin", "signin.example", "app",
                       {{"auth-url", auth_->url() + "/status/401"},
                        {"auth-signin", "https://login.example/start"}})},
        "signin.example", 302);
  auto denied = get("sso.example", "/photos?x=1");
  EXPECT_EQ(denied.status, 302u);
  EXPECT_EQ(denied.headers["x-seen-original"],
            "GET http://sso.example/photos?x=1 redirect /photos?x=1 from 127.0.0.1");
  auto ok = get("sso.example", "/photos", {{"X-Token", "good"}});
  EXPECT_EQ(ok.status, 200u);
  EXPECT_TRUE(contains(ok.body, "X-Auth-User: alice")) << ok.body;
  auto r = get("signin.example", "/a?b=c");
  EXPECT_EQ(r.headers["location"],
            "https://login.example/start?rd=http://signin.example%2Fa%3Fb%3Dc");
}

TEST_F(IngressNginx, AllowAndDenyListsCheckTheClient) {
  serve(
      {nginx_ingress("office", "office.example", "app", {{"whitelist-source-range", "10.0.0.0/8"}}),
       nginx_ingress("open", "open.example", "app",
                     {{"denylist-source-range", "10.0.0.0/8, 192.168.0.0/16"}}),
       nginx_ingress("blocked", "blocked.example", "app",
                     {{"denylist-source-range", "127.0.0.0/8"}})},
      "blocked.example", 403);
  EXPECT_EQ(get("office.example", "/").status, 403u);
  EXPECT_EQ(get("open.example", "/").status, 200u);
}

TEST_F(IngressNginx, RateLimitAnswers503BeyondTheBurst) {
  serve({nginx_ingress("limited", "limited.example", "app",
                       {{"limit-rpm", "2"}, {"limit-burst-multiplier", "1"}})},
        "limited.example", 200);
  // The readiness probe took one of the two.
  unsigned last = 0;
  for (int i = 0; i < 3; ++i) last = get("limited.example", "/").status;
  EXPECT_EQ(last, 503u);
}

TEST_F(IngressNginx, StickyCookieKeepsAClientOnItsServer) {
  serve({nginx_ingress("sticky", "sticky.example", "sticky",
                       {{"affinity", "cookie"}, {"session-cookie-name", "route"}})},
        "sticky.example", 200);
  auto first = get("sticky.example", "/");
  const std::string cookie = first.headers["set-cookie"];
  ASSERT_TRUE(cookie.starts_with("route=")) << cookie;
  EXPECT_TRUE(contains(cookie, "HttpOnly")) << cookie;
  const std::string server = first.headers["x-upstream"];
  for (int i = 0; i < 10; ++i) {
    auto r = get("sticky.example", "/", {{"Cookie", cookie.substr(0, cookie.find(';'))}});
    EXPECT_EQ(r.headers["x-upstream"], server) << i;
  }
}

TEST_F(IngressNginx, CorsPreflightIsAnsweredBeforeAuthentication) {
  serve({nginx_ingress("api", "api.example", "app",
                       {{"enable-cors", "true"},
                        {"cors-allow-origin", "https://app.example"},
                        {"auth-url", auth_->url() + "/auth"}})},
        "api.example", 302);
  auto r =
      get("api.example", "/v1",
          {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "PUT"}}, "OPTIONS");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "https://app.example");
  EXPECT_TRUE(contains(r.headers["access-control-allow-methods"], "PUT"));
  EXPECT_EQ(r.headers["access-control-max-age"], "1728000");
  auto other = get("api.example", "/v1",
                   {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "PUT"}},
                   "OPTIONS");
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
}

TEST_F(IngressNginx, CanaryTakesItsWeightWithinFivePercentAndItsHeader) {
  serve({nginx_ingress("main", "canary.example", "stable"),
         nginx_ingress(
             "main-canary", "canary.example", "canary",
             {{"canary", "true"}, {"canary-weight", "20"}, {"canary-by-header", "X-Canary"}})},
        "canary.example", 200);
  // The split is in place once a header request reaches the canary.
  for (int i = 0; i < 200; ++i) {
    if (get("canary.example", "/", {{"X-Canary", "always"}}).headers["x-upstream"] == "canary")
      break;
    std::this_thread::sleep_for(50ms);
  }
  HttpClient client(c_->dp.port());
  int to_canary = 0;
  for (int i = 0; i < 2000; ++i) {
    auto r = client.request("GET", "/", {{"Host", "canary.example"}});
    to_canary += r.headers["x-upstream"] == "canary";
  }
  std::printf("canary-weight 20: %d of 2000 requests to the canary\n", to_canary);
  EXPECT_GE(to_canary, 300);  // 20 % ± 5 % of 2,000.
  EXPECT_LE(to_canary, 500);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(get("canary.example", "/", {{"X-Canary", "always"}}).headers["x-upstream"], "canary");
    EXPECT_EQ(get("canary.example", "/", {{"X-Canary", "never"}}).headers["x-upstream"], "stable");
  }
}

TEST_F(IngressNginx, RedirectsAsIngressNginxSendsThem) {
  serve({nginx_ingress("secure", "secure.example", "app", {}, "/", "Prefix", true),
         nginx_ingress("moved", "moved.example", "app",
                       {{"permanent-redirect", "https://new.example$request_uri"}}),
         nginx_ingress("root", "root.example", "app", {{"app-root", "/app1"}})},
        "root.example", 302);
  auto r = get("secure.example", "/a?b=1", {}, "POST");
  EXPECT_EQ(r.status, 308u);
  EXPECT_EQ(r.headers["location"], "https://secure.example/a?b=1");
  r = get("moved.example", "/x/y?z=1");
  EXPECT_EQ(r.status, 301u);
  EXPECT_EQ(r.headers["location"], "https://new.example/x/y?z=1");
  r = get("root.example", "/");
  EXPECT_EQ(r.headers["location"], "http://root.example/app1");
  EXPECT_EQ(get("root.example", "/app1").status, 200u);
}

TEST_F(IngressNginx, RewriteWithCaptureGroups) {
  serve({nginx_ingress("rewrite", "rewrite.example", "app",
                       {{"use-regex", "true"}, {"rewrite-target", "/$2"}}, "/something(/|$)(.*)",
                       "ImplementationSpecific")},
        "rewrite.example", 200, "/something");
  auto r = get("rewrite.example", "/something/new?q=1");
  EXPECT_TRUE(r.body.starts_with("GET /new?q=1\n")) << r.body;
  r = get("rewrite.example", "/something");
  EXPECT_TRUE(r.body.starts_with("GET /\n")) << r.body;
  EXPECT_EQ(get("rewrite.example", "/else").status, 404u);
}

TEST_F(IngressNginx, CustomErrorsComeFromTheDefaultBackend) {
  serve({nginx_ingress("pages", "pages.example", "app",
                       {{"custom-http-errors", "404,503"}, {"default-backend", "pages"}})},
        "pages.example", 200);
  auto r = get("pages.example", "/status/404", {{"Accept", "text/html"}});
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.headers["x-upstream"], "pages");
  EXPECT_TRUE(contains(r.body, "X-Code: 404")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Original-Uri: /status/404")) << r.body;
  EXPECT_TRUE(contains(r.body, "X-Ingress-Name: pages")) << r.body;
}

TEST_F(IngressNginx, SnippetsAreRefusedTheRouteServedAndEveryoneTold) {
  const std::map<std::string, std::string> snippets = {
      {"configuration-snippet", "more_set_headers \"X-Evil: 1\";"},
      {"server-snippet", "location /admin { return 200; }"},
      {"auth-snippet", "proxy_set_header Foo-Header 42;"},
      {"stream-snippet", "server { listen 8000; proxy_pass 127.0.0.1:22; }"},
      {"modsecurity-snippet", "SecRuleEngine Off"}};
  serve({nginx_ingress("snippet", "snippet.example", "app", snippets)}, "snippet.example", 200);
  auto r = get("snippet.example", "/admin");
  EXPECT_EQ(r.headers["x-upstream"], "app");
  EXPECT_EQ(r.headers.count("x-evil"), 0u);
  // A Warning Event on the Ingress names each refused annotation.
  for (const auto& [name, text] : snippets) {
    const std::string& annotation = name;  // A structured binding: clang will not capture it.
    const bool told = eventually([&] {
      for (const auto& e : c_->api.list("Event")) {
        if (contains(e, annotation) && contains(e, "\"snippet\"") && contains(e, "never executed"))
          return true;
      }
      return false;
    });
    EXPECT_TRUE(told) << name;
  }
  // The metric counts the Ingresses carrying each annotation left out.
  auto at = c_->ctl->wait_for_log("metrics address=127.0.0.1:", 10s);
  ASSERT_NE(at, std::string::npos) << c_->ctl->log();
  const auto port = static_cast<std::uint16_t>(std::stoul(c_->ctl->log().substr(at, 6)));
  auto metrics = HttpClient(port).request("GET", "/metrics").body;
  EXPECT_TRUE(contains(metrics,
                       "wharf_controller_ingress_annotations_not_applied{annotation="
                       "\"configuration-snippet\"} 1"))
      << metrics;
  // The status of nginx-class Ingresses is left to ingress-nginx (no --ingress-nginx-status).
  auto ing = c_->api.get("Ingress", "shop", "snippet");
  ASSERT_TRUE(ing);
  EXPECT_FALSE(contains(*ing, "203.0.113.7")) << *ing;
}

// auth-tls-secret: the host's TLS connections must present a certificate from the Secret's CA;
// plain HTTP is redirected, and a client's own ssl-client-* headers never reach the app.
TEST_F(IngressNginx, ClientCertificatesFromTheAuthTlsSecret) {
  TempDir dir;
  auto made = run_command(
      {"sh", "-c",
       "cd " + dir.path() +
           " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
           " -subj /CN=test-ca -keyout ca.key -out ca.crt 2>/dev/null"
           " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=client"
           " -keyout client.key -out client.csr 2>/dev/null"
           " && printf 'extendedKeyUsage=clientAuth\\n' > client.ext"
           " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
           " -extfile client.ext -out client.crt 2>/dev/null"
           " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
           " -subj /CN=stranger -keyout stranger.key -out stranger.crt 2>/dev/null"});
  ASSERT_EQ(made.status, 0) << made.out;
  std::ifstream in(dir.path() + "/ca.crt");
  std::string ca((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  serve({opaque_secret("client-ca", "ca.crt", ca),
         nginx_ingress("mtls", "mtls.example", "app", {{"auth-tls-secret", "shop/client-ca"}}, "/",
                       "Prefix", true)},
        "mtls.example", 308);
  const std::string port = std::to_string(c_->dp.port());
  auto curl = [&](const std::string& who, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        "curl", "-sk", "-w", "%{http_code}", "--resolve", "mtls.example:" + port + ":127.0.0.1"};
    if (!who.empty()) {
      argv.insert(argv.end(), {"--cert", dir.path() + "/" + who + ".crt", "--key",
                               dir.path() + "/" + who + ".key"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://mtls.example:" + port + "/");
    return run_command(argv).out;
  };
  auto ok = curl("client", {"-H", "ssl-client-verify: SUCCESS"});
  EXPECT_TRUE(ok.ends_with("200")) << ok;
  EXPECT_FALSE(contains(ok, "Ssl-Client-Verify")) << ok;
  EXPECT_TRUE(curl("").ends_with("000")) << "no client certificate";
  EXPECT_TRUE(curl("stranger").ends_with("000")) << "not from the CA";
}

// ingress-nginx's ConfigMap is watched: its defaults change the routes live, and go when it goes.
TEST_F(IngressNginx, TheConfigMapsDefaultsApplyLive) {
  serve({nginx_ingress("defaults", "defaults.example", "app")}, "defaults.example", 200);
  const std::string body(20 << 10, 'x');
  EXPECT_EQ(get("defaults.example", "/upload", {}, "POST", body).status, 200u);
  c_->api.apply(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ingress-nginx-controller",)"
      R"("namespace":"ingress-nginx"},"data":{"proxy-body-size":"10k","worker-processes":"4"}})");
  auto upload = [&] { return get("defaults.example", "/upload", {}, "POST", body).status; };
  EXPECT_TRUE(eventually([&] { return upload() == 413u; }));
  EXPECT_EQ(get("defaults.example", "/upload", {}, "POST", std::string(5 << 10, 'x')).status, 200u);
  c_->api.remove("ConfigMap", "ingress-nginx", "ingress-nginx-controller");
  EXPECT_TRUE(eventually([&] { return upload() == 200u; }));  // Back to ingress-nginx's 1m.
}

}  // namespace
}  // namespace wharf::test
