// wharf-controller's Kubernetes provider against a fixture API server that speaks the API's
// wire format, feeding the real data plane; backends are real servers on 127.0.0.x.

#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/kube_api_fixture.hpp"
#include "test_common/kube_cluster.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

TEST(KubernetesEndToEnd, HundredRequestsReachTenEndpointsAndEndpointChangesFollow) {
  // Ten backends on ten loopback addresses, one port, as pods of one Service.
  std::vector<std::unique_ptr<UpstreamServer>> pods;
  pods.push_back(std::make_unique<UpstreamServer>("pod0", "127.0.0.10", 0));
  const auto port = pods[0]->port();
  std::vector<std::string> ips = {"127.0.0.10"};
  for (int i = 1; i < 10; ++i) {
    ips.push_back("127.0.0." + std::to_string(10 + i));
    pods.push_back(std::make_unique<UpstreamServer>("pod" + std::to_string(i), ips.back(), port));
  }
  Cluster c;
  c.api.apply(ingress_class());
  c.api.apply(service("web"));
  c.api.apply(slice("web", ips, port));
  c.api.apply(ingress("web", "web.example", "web"));
  c.start_controller();
  ASSERT_TRUE(c.eventually("web.example", 200)) << c.ctl->log();

  for (int i = 0; i < 100; ++i) EXPECT_EQ(host_status(c.dp.port(), "web.example"), 200u);
  std::set<int> reached;
  for (int i = 0; i < 10; ++i) {
    if (pods[i]->requests_served() > 0) reached.insert(i);
  }
  EXPECT_EQ(reached.size(), 10u);

  // Scale down to pod 3 only: once applied, every request goes there.
  c.api.apply(slice("web", {"127.0.0.13"}, port));
  bool converged = false;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       !converged && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(20ms)) {
    auto b = pods[3]->requests_served();
    for (int i = 0; i < 10; ++i) host_status(c.dp.port(), "web.example");
    converged = pods[3]->requests_served() == b + 10;
  }
  ASSERT_TRUE(converged) << c.ctl->log();
  auto before = pods[3]->requests_served();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(host_status(c.dp.port(), "web.example"), 200u);
  EXPECT_EQ(pods[3]->requests_served(), before + 20);

  // No endpoints at all: the host is known, so 503, not 404.
  c.api.apply(slice("web", {}, port));
  EXPECT_TRUE(c.eventually("web.example", 503));
  c.api.remove("Ingress", "shop", "web");
  EXPECT_TRUE(c.eventually("web.example", 404));

  // Without --publish-* and with nothing rejected, the controller only reads, except for
  // its leader Lease.
  for (const auto& r : c.api.requests()) {
    if (r.find(" /apis/coordination.k8s.io/v1/namespaces/default/leases") != std::string::npos)
      continue;
    EXPECT_EQ(r.rfind("GET ", 0), 0u) << r;
  }
}

// The Ingress conformance features end to end: default backend, host rules (exact, one-label
// wildcard, none), path rules (Exact, Prefix by element), and the class filter, each request
// answered by the backend the spec says (servers tell themselves apart by X-Upstream).
TEST(KubernetesEndToEnd, ConformanceDefaultBackendHostsPathsAndClass) {
  const char* names[] = {"fallback", "exact", "app", "wild", "any", "stolen"};
  std::vector<std::unique_ptr<UpstreamServer>> servers;
  Cluster c;
  c.api.apply(ingress_class());
  for (int i = 0; i < 6; ++i) {
    std::string ip = "127.0.0." + std::to_string(51 + i);
    servers.push_back(std::make_unique<UpstreamServer>(names[i], ip, 0));
    c.api.apply(service(names[i]));
    c.api.apply(slice(names[i], {ip}, servers.back()->port()));
  }
  auto path = [](const char* type, const char* p, const char* svc) {
    return std::string(R"({"pathType":")") + type + R"(","path":")" + p +
           R"(","backend":{"service":{"name":")" + svc + R"(","port":{"name":"http"}}}})";
  };
  c.api.apply(
      R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"site","namespace":"shop"},)"
      R"("spec":{"ingressClassName":"wharf","defaultBackend":{"service":{"name":"fallback","port":{"name":"http"}}},)"
      R"("rules":[{"host":"foo.example","http":{"paths":[)" +
      path("Exact", "/exact", "exact") + "," + path("Prefix", "/app", "app") +
      R"(]}},{"host":"*.wild.example","http":{"paths":[)" + path("Prefix", "/", "wild") +
      R"(]}},{"http":{"paths":[)" + path("Prefix", "/any", "any") + "]}}]}}");
  // Another controller's Ingress for the same host: not ours, never routed.
  c.api.apply(
      R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"other","namespace":"shop"},)"
      R"("spec":{"ingressClassName":"nginx","rules":[{"host":"foo.example","http":{"paths":[)" +
      path("Prefix", "/", "stolen") + "]}}]}}");
  c.start_controller();
  ASSERT_TRUE(c.eventually("foo.example", 200)) << c.ctl->log();

  struct Case {
    const char* host;
    const char* path;
    const char* backend;
  };
  const Case cases[] = {
      {"foo.example", "/exact", "exact"},    {"foo.example", "/exact/", "fallback"},
      {"foo.example", "/app", "app"},        {"foo.example", "/app/x/y", "app"},
      {"foo.example", "/apple", "fallback"}, {"a.wild.example", "/", "wild"},
      {"a.wild.example", "/app", "wild"},    {"b.a.wild.example", "/", "fallback"},
      {"wild.example", "/", "fallback"},     {"other.example", "/any/thing", "any"},
      {"foo.example", "/any", "any"},        {"other.example", "/nothing", "fallback"},
      {"foo.example", "/", "fallback"},
  };
  HttpClient client(c.dp.port());
  for (const auto& k : cases) {
    auto r = client.request("GET", k.path, {{"Host", k.host}});
    EXPECT_EQ(r.status, 200u) << k.host << k.path;
    EXPECT_EQ(r.headers["x-upstream"], k.backend) << k.host << k.path;
  }
  EXPECT_EQ(servers[5]->requests_served(), 0u);
}

TEST(KubernetesEndToEnd, NothingIsLostAcross410AndAnApiServerRestart) {
  UpstreamServer a("a", "127.0.0.21", 0), b("b", "127.0.0.22", 0), d("d", "127.0.0.23", 0);
  Cluster c;
  c.api.apply(ingress_class());
  for (const char* s : {"a", "b", "d"}) c.api.apply(service(s));
  c.api.apply(slice("a", {"127.0.0.21"}, a.port()));
  c.api.apply(slice("b", {"127.0.0.22"}, b.port()));
  c.api.apply(slice("d", {"127.0.0.23"}, d.port()));
  c.api.apply(ingress("a", "a.example", "a"));
  c.start_controller();
  ASSERT_TRUE(c.eventually("a.example", 200)) << c.ctl->log();

  // History compacted while watching: the watches end, resuming gets 410, the controller
  // lists again, and a change made right after is seen.
  c.api.compact();
  c.api.apply(ingress("b", "b.example", "b"));
  EXPECT_TRUE(c.eventually("b.example", 200)) << c.ctl->log();
  EXPECT_NE(c.ctl->log().find("expired (410); listing again"), std::string::npos) << c.ctl->log();

  // The API server goes away; what changes meanwhile is there when it is back.
  c.api.restart(800);
  std::this_thread::sleep_for(100ms);
  c.api.apply(ingress("d", "d.example", "d"));
  c.api.remove("Ingress", "shop", "a");
  EXPECT_TRUE(c.eventually("d.example", 200)) << c.ctl->log() << [&] {
    std::string all;
    for (const auto& r : c.api.requests()) all += r + "\n";
    return all;
  }();
  EXPECT_TRUE(c.eventually("a.example", 404)) << c.ctl->log();
  EXPECT_EQ(host_status(c.dp.port(), "b.example"), 200u);
}

TEST(KubernetesEndToEnd, ListsArePaginated) {
  UpstreamServer app("app", "127.0.0.31", 0);
  Cluster c;
  c.add_app("app", {"127.0.0.31"}, app.port());
  // More Ingresses than one page (500) holds.
  for (int i = 0; i < 1203; ++i)
    c.api.apply(ingress("i" + std::to_string(i), "h" + std::to_string(i) + ".example", "app"));
  c.start_controller();
  EXPECT_TRUE(c.eventually("h1202.example", 200)) << c.ctl->log();
  EXPECT_EQ(host_status(c.dp.port(), "h0.example"), 200u);
  int continued = 0;
  for (const auto& r : c.api.requests())
    continued += r.find("/ingresses?limit=500&continue=") != std::string::npos;
  EXPECT_EQ(continued, 2);
}

// The client's TLS: an HTTPS server (openssl s_server) with a certificate for 127.0.0.1 from a
// test CA. With that CA the handshake succeeds and the request gets through (s_server answers
// with a page that is not JSON, which the client reports); with another CA it is refused.
TEST(KubernetesEndToEnd, TlsServerIsVerifiedAgainstTheConfiguredCa) {
  TempDir dir;
  const std::string d = dir.path();
  auto sh = [&](const std::string& cmd) {
    return run_command({"sh", "-c", "cd " + d + " && " + cmd});
  };
  ASSERT_EQ(
      sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "
         "/CN=test-ca"
         " && openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=api"
         " && printf 'subjectAltName=IP:127.0.0.1\\n' > ext"
         " && openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt"
         " -days 2 -extfile ext")
          .status,
      0);
  auto port = std::to_string(free_port());
  ChildProcess server({"openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert",
                       d + "/srv.crt", "-key", d + "/srv.key", "-www", "-quiet"});
  auto kubeconfig =
      [&](const std::string& name, const std::string& ca) {
        std::ofstream(d + "/" + name)
            << "current-context: c\nclusters: [{name: k, cluster: {server: "
               "\"https://127.0.0.1:" +
                   port + "\", certificate-authority: " + ca +
                   "}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
                   "users: [{name: u, user: {token: t}}]\n";
        return d + "/" + name;
      };
  auto check = [&](const std::string& kc) {
    return run_command(
        {WHARF_CONTROLLER_BINARY, "--check", "--kubeconfig", kc, "--docker-endpoint", "off"});
  };
  std::string good;
  for (int i = 0; i < 100; ++i) {  // until s_server listens
    good = check(kubeconfig("good", "ca.crt")).out;
    if (good.find("cannot connect") == std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(good.find("kubernetes: list /apis/networking.k8s.io/v1/ingressclasses: invalid JSON"),
            std::string::npos)
      << good;
  auto wrong = check(kubeconfig("wrong", "srv.crt"));  // not the CA that signed it
  EXPECT_EQ(wrong.status, 1);
  EXPECT_NE(wrong.out.find("certificate verify failed"), std::string::npos) << wrong.out;
}

}  // namespace
}  // namespace wharf::test
