// A migration as a user would make it: Ingresses as public Helm charts render them for
// ingress-nginx (GitLab, Argo CD, Harbor, Longhorn, Nextcloud, oauth2-proxy, Rancher, Grafana,
// Prometheus, Keycloak, JupyterHub, a gRPC collector, an API with its canary), applied unchanged.
// `--check` lists exactly the annotations left out, and every route answers as ingress-nginx
// would. Fixtures: fixtures/ingress-nginx-charts/ (the Ingresses, and what is expected of each).

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/kube_cluster.hpp"
#include "test_common/upstream_server.hpp"
#include "text/base64.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(WHARF_SOURCE_DIR) +
                   "/tests/integration/fixtures/ingress-nginx-charts/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string service_in(const std::string& ns, const std::string& name, std::uint16_t port) {
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name +
         R"(","namespace":")" + ns +
         R"("},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80},{"name":"https","port":443}]}})" +
         "\n" +
         R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":")" +
         name + R"(-x","namespace":")" + ns + R"(","labels":{"kubernetes.io/service-name":")" +
         name + R"("}},"addressType":"IPv4","ports":[{"name":"http","port":)" +
         std::to_string(port) + R"(},{"name":"https","port":)" + std::to_string(port) +
         R"(}],"endpoints":[{"addresses":["127.0.0.1"]}]})";
}

TEST(IngressNginxMigration, ChartIngressesComeAcrossAndCheckListsWhatIsLeftOut) {
  UpstreamServer app("app", "127.0.0.1", 0);
  Cluster c;
  c.api.apply(
      R"({"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"nginx"},)"
      R"("spec":{"controller":"k8s.io/ingress-nginx"}})");
  rapidjson::Document list;
  const std::string text = fixture("ingresses.json");
  list.Parse(text.c_str());
  ASSERT_TRUE(list.IsObject());
  std::set<std::pair<std::string, std::string>> services;
  for (const auto& ing : list["items"].GetArray()) {
    const std::string ns = ing["metadata"]["namespace"].GetString();
    for (const auto& rule : ing["spec"]["rules"].GetArray()) {
      for (const auto& p : rule["http"]["paths"].GetArray()) {
        services.insert({ns, p["backend"]["service"]["name"].GetString()});
      }
    }
  }
  services.insert({"shop", "error-pages"});
  for (const auto& [ns, name] : services) {
    auto objects = service_in(ns, name, app.port());
    c.api.apply(objects.substr(0, objects.find('\n')));
    c.api.apply(objects.substr(objects.find('\n') + 1));
  }
  // Longhorn's basic-auth Secret, made as its docs say (htpasswd into `auth`).
  auto hash = run_command({"openssl", "passwd", "-apr1", "longhorn"});
  ASSERT_EQ(hash.status, 0);
  c.api.apply(
      R"({"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":"basic-auth",)"
      R"("namespace":"longhorn-system"},"data":{"auth":")" +
      text::base64_encode("admin:" + hash.out.substr(0, hash.out.find('\n')) + "\n") + "\"}}");
  for (const auto& ing : list["items"].GetArray()) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    ing.Accept(w);
    c.api.apply(b.GetString());
  }

  rapidjson::Document expected;
  const std::string want_text = fixture("expected.json");
  expected.Parse(want_text.c_str());
  ASSERT_TRUE(expected.IsObject());
  const rapidjson::Value& by_ingress = expected;  // Const: clang's C++20 and RapidJSON 1.1.

  // --check: the warnings name, per Ingress, exactly the annotations left out; nothing is
  // rejected.
  auto check = run_command({WHARF_CONTROLLER_BINARY, "--check", "--ingress-nginx", "--kubeconfig",
                            c.api.write_kubeconfig(c.dir.path()), "--docker-endpoint", "off"});
  EXPECT_EQ(check.status, 0) << check.out;
  // The verdict line, for the record: "OK: N routers served, 0 objects rejected, N warnings".
  std::printf("%s\n", check.out.substr(check.out.rfind('\n', check.out.size() - 2) + 1).c_str());
  std::map<std::string, std::set<std::string>> left_out, partly;
  std::istringstream lines(check.out);
  const std::string prefix = "annotation nginx.ingress.kubernetes.io/";
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("  ingress ")) continue;
    auto name = line.substr(10, line.find("@kubernetes") - 10);
    auto at = line.find(prefix);
    ASSERT_NE(at, std::string::npos) << line;
    auto annotation = line.substr(at + prefix.size());
    annotation = annotation.substr(0, annotation.find(':'));
    (line.find("partly supported") != std::string::npos ? partly : left_out)[name].insert(
        annotation);
  }
  for (const auto& m : by_ingress.GetObject()) {
    const std::string name = m.name.GetString();
    std::set<std::string> want;
    for (const auto& a : m.value["leftOut"].GetArray()) want.insert(a.GetString());
    EXPECT_EQ(left_out[name], want) << name << "\n" << check.out;
    left_out.erase(name);
    if (m.value.HasMember("partly")) {
      for (const auto& a : m.value["partly"].GetArray()) {
        EXPECT_TRUE(partly[name].count(a.GetString())) << name << " " << a.GetString();
      }
    }
  }
  for (const auto& [name, annotations] : left_out) {
    if (!annotations.empty()) ADD_FAILURE() << "unexpected left out on " << name;
  }

  // Served: every route answers as ingress-nginx would.
  c.start_controller({"--ingress-nginx"});
  ASSERT_TRUE(c.eventually("sso.example", 200)) << c.ctl->log();
  for (const auto& m : by_ingress.GetObject()) {
    for (const auto& q : m.value["requests"].GetArray()) {
      HttpClient client(c.dp.port());
      auto r = client.request(q[2].GetString(), q[1].GetString(), {{"Host", q[0].GetString()}});
      EXPECT_EQ(r.status, q[3].GetUint())
          << m.name.GetString() << " " << q[0].GetString() << q[1].GetString() << "\n"
          << r.body;
      if (!std::string(q[4].GetString()).empty()) {
        EXPECT_EQ(r.headers["location"], q[4].GetString()) << m.name.GetString();
      }
    }
  }
}

}  // namespace
}  // namespace wharf::test
