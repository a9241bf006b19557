// What the controller writes back to the cluster: Ingress status from --publish-service /
// --publish-address, Warning Events for rejected Ingresses, leader election on a Lease (409
// conflicts, take-over, hand-over), and Ingress TLS Secrets delivered to the data plane as
// certificates. Against the fixture API server, with the real controller and data plane.

#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "test_common/dockerd.hpp"
#include "test_common/eventually.hpp"
#include "test_common/kube_cluster.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

// Short terms so take-overs happen within a test's patience; same ratios as the defaults.
const std::vector<std::string> kFastElection = {"--leader-elect-lease-duration", "2s",
                                                "--leader-elect-renew-deadline", "1500ms",
                                                "--leader-elect-retry-period",   "200ms"};

std::vector<std::string> flags(std::vector<std::string> extra) {
  extra.insert(extra.end(), kFastElection.begin(), kFastElection.end());
  return extra;
}

std::string object(const KubeApiFixture& api, const std::string& kind, const std::string& ns,
                   const std::string& name) {
  return api.get(kind, ns, name).value_or("");
}

// The Ingress's status.loadBalancer as the API server stores it.
std::string lb_status(const KubeApiFixture& api, const std::string& name) {
  auto json = object(api, "Ingress", "shop", name);
  auto at = json.find("\"status\":");
  return at == std::string::npos ? "" : json.substr(at);
}

std::size_t count(const std::vector<std::string>& lines, const std::string& needle) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.find(needle) != std::string::npos;
  return n;
}

std::string publish_service(const std::string& ip) {
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"wharf","namespace":"wharf"},)"
         R"("spec":{"type":"LoadBalancer","ports":[{"name":"http","port":80}]},)"
         R"("status":{"loadBalancer":{"ingress":[{"ip":")" +
         ip + R"("}]}}})";
}

std::string with_class(std::string ingress_json, const std::string& cls) {
  auto at = ingress_json.find(R"("ingressClassName":"wharf")");
  return ingress_json.replace(at, 26, R"("ingressClassName":")" + cls + "\"");
}

std::string lease_holder(const KubeApiFixture& api) {
  auto json = object(api, "Lease", "default", "wharf-wharf-leader");
  auto at = json.find(R"("holderIdentity":")");
  if (at == std::string::npos) return "";
  at += 18;
  return json.substr(at, json.find('"', at) - at);
}

TEST(KubernetesStatus, PublishServiceAddressesWrittenFollowedAndClearedWhenLeavingTheClass) {
  UpstreamServer web("web", "127.0.0.41", 0);
  Cluster c;
  c.add_app("web", {"127.0.0.41"}, web.port());
  c.api.apply(ingress("web", "web.example", "web"));
  c.api.apply(publish_service("203.0.113.7"));
  // Another controller's Ingress with its own address: never touched.
  c.api.apply(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"other",)"
              R"("namespace":"shop"},"spec":{"ingressClassName":"nginx","rules":[]},)"
              R"("status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.1"}]}}})");
  c.start_controller(flags({"--publish-service", "wharf/wharf"}));
  ASSERT_TRUE(c.eventually("web.example", 200)) << c.ctl->log();
  ASSERT_TRUE(eventually([&] {
    return lb_status(c.api, "web").find(R"({"ingress":[{"ip":"203.0.113.7"}]})") !=
           std::string::npos;
  })) << lb_status(c.api, "web")
      << c.ctl->log();

  // The load balancer's address changes: the status follows.
  c.api.apply(publish_service("203.0.113.8"));
  ASSERT_TRUE(eventually([&] {
    return lb_status(c.api, "web").find("203.0.113.8") != std::string::npos;
  })) << c.ctl->log();
  // Converged: no status write loops on the writes' own watch events.
  std::this_thread::sleep_for(600ms);
  auto patches = count(c.api.requests(), "PATCH ");
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(count(c.api.requests(), "PATCH "), patches);
  EXPECT_EQ(patches, 2u);

  // The Ingress moves to another controller: our address is taken back; routing stops.
  c.api.apply(with_class(ingress("web", "web.example", "web"), "nginx"));
  EXPECT_TRUE(eventually([&] {
    return lb_status(c.api, "web").find(R"("loadBalancer":{})") != std::string::npos;
  })) << lb_status(c.api, "web");
  EXPECT_TRUE(c.eventually("web.example", 404));
  EXPECT_NE(lb_status(c.api, "other").find("198.51.100.1"), std::string::npos);
  EXPECT_EQ(count(c.api.requests(), "/ingresses/other/status"), 0u);
  for (const auto& r : c.api.requests()) {
    if (r.starts_with("PATCH ")) {
      EXPECT_NE(r.find("/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web/status"),
                std::string::npos)
          << r;
    }
  }
}

TEST(KubernetesStatus, RejectedIngressGetsOneWarningEventPerProblemAndSpecChange) {
  Cluster c;
  c.api.apply(ingress_class());
  c.api.apply(service("web"));
  // The Service has port "http" only.
  std::string bad = ingress("web", "web.example", "web");
  bad.replace(bad.find(R"("port":{"name":"http"})"), 22, R"("port":{"number":8443})");
  c.api.apply(bad);
  c.start_controller(flags({"--publish-address", "192.0.2.1,lb.example.com"}));

  auto events = [&] { return c.api.list("Event"); };
  ASSERT_TRUE(eventually([&] { return events().size() == 1; })) << c.ctl->log();
  const std::string e = events()[0];
  for (
      const char* want :
      {R"("type":"Warning")", R"("reason":"Rejected")", R"("kind":"Ingress")",
       R"("name":"web","uid":"uid-)", R"("namespace":"shop")",
       R"(ingress shop/web spec.rules[0].http.paths[0].backend: service shop/web has no port 8443)",
       R"("reportingComponent":"wharf.dev/ingress-controller")",
       R"("component":"wharf-controller")", R"("firstTimestamp":"20)"}) {
    EXPECT_NE(e.find(want), std::string::npos) << want << "\n" << e;
  }
  // --publish-address: IPs as ip, names as hostname, on rejected Ingresses too (it is ours).
  EXPECT_TRUE(eventually([&] {
    return lb_status(c.api, "web")
               .find(R"({"ingress":[{"hostname":"lb.example.com"},{"ip":"192.0.2.1"}]})") !=
           std::string::npos;
  })) << lb_status(c.api, "web");

  // Rebuilds for unrelated changes repeat nothing.
  c.api.apply(service("unrelated"));
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(events().size(), 1u);
  // A new spec (generation 2) still broken: reported again.
  bad.replace(bad.find("web.example"), 11, "www.example");
  c.api.apply(bad);
  EXPECT_TRUE(eventually([&] { return events().size() == 2; })) << c.ctl->log();
}

// A middleware named by annotation lives in another provider: only the compiled table shows
// that it is missing or was rejected, and the Ingress still gets an Event saying which and why.
TEST(KubernetesStatus, MissingOrRejectedMiddlewareFromTheFileProviderIsAnEventOnTheIngress) {
  UpstreamServer web("web", "127.0.0.43", 0);
  Cluster c;
  c.add_app("web", {"127.0.0.43"}, web.port());
  {
    std::ofstream f(c.dir.path() + "/dynamic.yml");
    f << "http:\n  middlewares:\n    auth:\n      basicAuth:\n        users: [\"bob:plain\"]\n";
  }
  auto annotated = [](const std::string& middlewares) {
    std::string json = ingress("web", "web.example", "web");
    json.replace(
        json.find(R"("namespace":"shop"})"), 19,
        R"("namespace":"shop","annotations":{"wharf.ingress.kubernetes.io/router.middlewares":")" +
            middlewares + R"("}})");
    return json;
  };
  c.api.apply(annotated("auth@file,gone@file"));
  c.start_controller(
      flags({"--publish-address", "192.0.2.1", "--file", c.dir.path() + "/dynamic.yml"}));
  auto joined = [&] {
    std::string all;
    for (const auto& e : c.api.list("Event")) all += e + "\n";
    return all;
  };
  // One Event per router (the plain one and its TLS twin), posted one after the other.
  auto both_routers_say = [&](const std::string& what) {
    return eventually([&] {
      const auto all = joined();
      return all.find("router shop-web-r0-p0@kubernetes " + what) != std::string::npos &&
             all.find("router shop-web-r0-p0-tls@kubernetes " + what) != std::string::npos;
    });
  };
  ASSERT_TRUE(both_routers_say("uses middleware auth@file, which was rejected"))
      << joined() << c.ctl->log();
  const std::string all = joined();
  EXPECT_NE(all.find(R"("reason":"Rejected")"), std::string::npos) << all;
  EXPECT_NE(all.find("unsupported hash"), std::string::npos) << all;  // The middleware's reason.
  EXPECT_NE(all.find("router shop-web-r0-p0@kubernetes"), std::string::npos) << all;
  // The route is not served without its middleware.
  EXPECT_TRUE(c.eventually("web.example", 404));
  // Fixed to name only a middleware that does not exist: that is reported too, again for both
  // routers (waiting for one only let the other's Event land after the count below).
  c.api.apply(annotated("gone@file"));
  EXPECT_TRUE(both_routers_say("uses middleware gone@file, which does not exist")) << joined();
  // Unrelated rebuilds repeat nothing.
  auto before = c.api.list("Event").size();
  c.api.apply(service("unrelated"));
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(c.api.list("Event").size(), before);
}

TEST(KubernetesStatus, LeaderElectionOneWriterConflictsTakeOverAndHandOver) {
  UpstreamServer web("web", "127.0.0.42", 0);
  Cluster c;
  c.add_app("web", {"127.0.0.42"}, web.port());
  c.api.apply(ingress("web", "web.example", "web"));
  c.start_controller(flags({"--publish-address", "192.0.2.1", "--leader-elect-identity", "a"}));
  ASSERT_TRUE(eventually([&] { return lease_holder(c.api) == "a"; })) << c.ctl->log();
  EXPECT_NE(
      object(c.api, "Lease", "default", "wharf-wharf-leader").find(R"("leaseDurationSeconds":2)"),
      std::string::npos);

  // Another writer updates the Lease between a's read and its renewal: a's update gets 409,
  // a reads the Lease again, sees a live holder and steps down; that holder never renews, so
  // a takes the Lease back once it has been unchanged for the lease duration.
  c.api.race_next_update("Lease", R"({"spec":{"holderIdentity":"intruder"}})");
  ASSERT_TRUE(eventually([&] { return c.api.conflicts() >= 1; })) << c.ctl->log();
  EXPECT_EQ(lease_holder(c.api), "intruder");
  c.ctl->wait_for_log("a stopped leading", 5s);
  ASSERT_TRUE(eventually([&] { return lease_holder(c.api) == "a"; }, 10s)) << c.ctl->log();
  EXPECT_NE(object(c.api, "Lease", "default", "wharf-wharf-leader").find(R"("leaseTransitions":1)"),
            std::string::npos)
      << object(c.api, "Lease", "default", "wharf-wharf-leader");

  // A second replica with its own data plane: it serves, but does not write.
  TempDir b_dir, b_state;
  DataplaneProcess b_dp({}, b_state.path());
  auto b = start_kube_controller(
      c.api, b_dir.path(), b_dp.control_socket(),
      flags({"--publish-address", "192.0.2.1", "--leader-elect-identity", "b"}));
  EXPECT_EQ(wait_for_host_status(b_dp.port(), "web.example", 200, 15'000), 200u) << b->log();
  c.api.apply(ingress("second", "second.example", "web"));
  ASSERT_TRUE(eventually([&] {
    return lb_status(c.api, "second").find("192.0.2.1") != std::string::npos;
  })) << c.ctl->log();
  EXPECT_EQ(wait_for_host_status(b_dp.port(), "second.example", 200, 15'000), 200u);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(count(c.api.requests(),
                  "PATCH /apis/networking.k8s.io/v1/namespaces/shop/"
                  "ingresses/second/status"),
            1u);

  // The leader dies without handing over: b takes over after the lease duration and writes.
  c.ctl->stop(SIGKILL);
  ASSERT_TRUE(eventually([&] { return lease_holder(c.api) == "b"; }, 10s)) << b->log();
  c.api.apply(ingress("third", "third.example", "web"));
  EXPECT_TRUE(eventually([&] {
    return lb_status(c.api, "third").find("192.0.2.1") != std::string::npos;
  })) << b->log();
  // Every replica keeps serving its own data plane throughout.
  EXPECT_EQ(wait_for_host_status(b_dp.port(), "third.example", 200, 15'000), 200u);

  // SIGTERM hands the Lease over at once (holder cleared) instead of letting it expire, also
  // when its write meets 409 because a renewal (here another writer's harmless change) moved
  // the resourceVersion on: the Lease, read again, still names b, so it tries again.
  c.api.race_next_update("Lease", R"({"metadata":{"labels":{"renewed":"meanwhile"}}})");
  EXPECT_EQ(b->stop(SIGTERM), 0);
  EXPECT_EQ(lease_holder(c.api), "");
  EXPECT_NE(b->log().find("released lease default/wharf-wharf-leader"), std::string::npos)
      << b->log();
}

TEST(KubernetesStatus, TlsSecretsReachTheDataPlaneAsCertificatesAndBrokenOnesAreReported) {
  UpstreamServer web("web", "127.0.0.43", 0);
  Cluster c;
  TempDir certs;
  auto sh = [&](const std::string& cmd) {
    return run_command({"sh", "-c", "cd " + certs.path() + " && " + cmd});
  };
  ASSERT_EQ(sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
               "-subj /CN=web.example -addext subjectAltName=DNS:web.example -keyout k.pem "
               "-out c.pem")
                .status,
            0);
  auto b64 = [&](const std::string& file) { return sh("base64 -w0 " + file).out; };
  c.add_app("web", {"127.0.0.43"}, web.port());
  c.api.apply(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"web-tls","namespace":"shop"},)"
      R"("type":"kubernetes.io/tls","data":{"tls.crt":")" +
      b64("c.pem") + R"(","tls.key":")" + b64("k.pem") + R"("}})");
  // Not a TLS Secret: the controller never even receives it.
  c.api.apply(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop"},)"
              R"("type":"Opaque","data":{"password":"c2VjcmV0"}})");
  auto with_tls = [](std::string json, const std::string& host, const std::string& secret) {
    json.replace(
        json.find(R"("rules":)"), 8,
        R"("tls":[{"hosts":[")" + host + R"("],"secretName":")" + secret + R"("}],"rules":)");
    return json;
  };
  c.api.apply(with_tls(ingress("web", "web.example", "web"), "web.example", "web-tls"));
  c.api.apply(with_tls(ingress("shop", "shop.example", "web"), "shop.example", "missing-tls"));
  c.start_controller(flags({}));
  ASSERT_TRUE(c.eventually("web.example", 200)) << c.ctl->log();
  // The missing Secret costs the route nothing.
  EXPECT_TRUE(c.eventually("shop.example", 200));

  const std::string state_file = c.state.path() + "/table.json";
  std::string table;
  ASSERT_TRUE(eventually([&] {
    std::ifstream in(state_file);
    std::stringstream ss;
    ss << in.rdbuf();
    table = ss.str();
    return table.find("shop-web-tls@kubernetes") != std::string::npos;
  })) << table;
  EXPECT_NE(table.find(R"("domains":["web.example"])"), std::string::npos);
  EXPECT_NE(table.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(table.find("secret shop/missing-tls not found"), std::string::npos);
  // Over HTTPS, each host gets its Secret's certificate; the host whose Secret is missing gets
  // the default one, and both reach the backend.
  auto https = [&](const std::string& host) {
    const std::string port = std::to_string(c.dp.port());
    return run_command({"curl", "-sS", "-k", "-v", "--resolve", host + ":" + port + ":127.0.0.1",
                        "https://" + host + ":" + port + "/"})
        .out;
  };
  auto secure = https("web.example");
  EXPECT_NE(secure.find("subject: CN=web.example"), std::string::npos) << secure;
  EXPECT_NE(secure.find("X-Forwarded-Proto: https"), std::string::npos) << secure;
  auto fallback = https("shop.example");
  EXPECT_NE(fallback.find("subject: CN=WHARF DEFAULT CERT"), std::string::npos) << fallback;
  EXPECT_NE(fallback.find("< HTTP/2 200"), std::string::npos) << fallback;  // ALPN chose h2.
  struct stat st {};
  ASSERT_EQ(::stat(state_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // It holds private keys.
  // The missing Secret is in the Ingress's Events too.
  EXPECT_TRUE(eventually([&] {
    auto ev = c.api.list("Event");
    return ev.size() == 1 && ev[0].find("secret shop/missing-tls not found") != std::string::npos;
  }));
  // Secrets are listed and watched by type only, and key material never reaches the log.
  EXPECT_GE(
      count(c.api.requests(), "/api/v1/secrets?limit=500&fieldSelector=type%3Dkubernetes.io%2Ftls"),
      1u);
  EXPECT_EQ(c.ctl->log().find("PRIVATE KEY"), std::string::npos);

  // The Secret appears: its certificate joins the table, nothing else changes.
  c.api.apply(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"missing-tls","namespace":"shop"},)"
      R"("type":"kubernetes.io/tls","data":{"tls.crt":")" +
      b64("c.pem") + R"(","tls.key":")" + b64("k.pem") + R"("}})");
  EXPECT_TRUE(eventually([&] {
    std::ifstream in(state_file);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str().find("shop-missing-tls@kubernetes\",\"domains\"") != std::string::npos;
  }));
}

}  // namespace
}  // namespace wharf::test
