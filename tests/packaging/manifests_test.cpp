// The Kubernetes manifests (deploy/kubernetes/wharf.yaml) and the Helm chart (charts/wharf):
// parsed and checked field by field, and the RBAC compared with what the controller's client
// actually asks the API server for in a full scenario against the fixture API server.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "test_common/kube_cluster.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;
using Grant = std::tuple<std::string, std::string, std::string>;  // group, resource, verb

std::string source(const std::string& path) {
  std::ifstream in(std::string(WHARF_SOURCE_DIR) + "/" + path);
  EXPECT_TRUE(in) << path;
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<YAML::Node> documents(const std::string& path) {
  std::vector<YAML::Node> out;
  for (const auto& d : YAML::LoadAll(source(path))) {
    if (d.IsMap()) out.push_back(d);
  }
  return out;
}

const YAML::Node* find_kind(const std::vector<YAML::Node>& docs, const std::string& kind,
                            const std::string& name = {}) {
  for (const auto& d : docs) {
    if (d["kind"].as<std::string>() == kind &&
        (name.empty() || d["metadata"]["name"].as<std::string>() == name)) {
      return &d;
    }
  }
  return nullptr;
}

std::set<Grant> grants_of(const YAML::Node& rules) {
  std::set<Grant> out;
  for (const auto& rule : rules) {
    for (const auto& g : rule["apiGroups"]) {
      for (const auto& r : rule["resources"]) {
        for (const auto& v : rule["verbs"]) {
          out.emplace(g.as<std::string>(), r.as<std::string>(), v.as<std::string>());
        }
      }
    }
  }
  return out;
}

// "GET /apis/networking.k8s.io/v1/namespaces/shop/ingresses/web/status?x" → the RBAC
// (group, resource, verb) the API server checks for it.
Grant grant_for(const std::string& request) {
  auto space = request.find(' ');
  const std::string method = request.substr(0, space);
  std::string target = request.substr(space + 1);
  const bool watch =
      target.find("watch=1") != std::string::npos || target.find("watch=true") != std::string::npos;
  target = target.substr(0, target.find('?'));
  std::vector<std::string> parts;
  std::stringstream in(target);
  for (std::string p; std::getline(in, p, '/');) {
    if (!p.empty()) parts.push_back(p);
  }
  std::size_t i = 0;
  std::string group;
  if (parts[i] == "api") {
    i += 2;  // api/v1
  } else {
    group = parts[i + 1];
    i += 3;  // apis/GROUP/VERSION
  }
  if (i < parts.size() && parts[i] == "namespaces" && i + 2 < parts.size()) i += 2;
  std::string resource = parts.at(i);
  const bool named = i + 1 < parts.size();
  if (i + 2 < parts.size()) resource += "/" + parts[i + 2];  // a subresource
  std::string verb = method == "POST"     ? "create"
                     : method == "PUT"    ? "update"
                     : method == "PATCH"  ? "patch"
                     : method == "DELETE" ? "delete"
                     : watch              ? "watch"
                     : named              ? "get"
                                          : "list";
  return {group, resource, verb};
}

TEST(Manifests, TwoLockedDownContainersWithTheirOwnWritableVolumes) {
  auto docs = documents("deploy/kubernetes/wharf.yaml");
  std::set<std::string> kinds;
  for (const auto& d : docs)
    kinds.insert(d["apiVersion"].as<std::string>() + " " + d["kind"].as<std::string>());
  EXPECT_EQ(kinds, (std::set<std::string>{"v1 Namespace", "v1 ServiceAccount", "v1 Service",
                                          "rbac.authorization.k8s.io/v1 ClusterRole",
                                          "rbac.authorization.k8s.io/v1 ClusterRoleBinding",
                                          "rbac.authorization.k8s.io/v1 Role",
                                          "rbac.authorization.k8s.io/v1 RoleBinding",
                                          "networking.k8s.io/v1 IngressClass", "apps/v1 Deployment",
                                          "policy/v1 PodDisruptionBudget"}));
  EXPECT_EQ((*find_kind(docs, "IngressClass"))["spec"]["controller"].as<std::string>(),
            "wharf.dev/ingress-controller");
  EXPECT_FALSE((*find_kind(docs, "ServiceAccount"))["automountServiceAccountToken"].as<bool>());

  const auto& pod = (*find_kind(docs, "Deployment"))["spec"]["template"]["spec"];
  EXPECT_FALSE(pod["automountServiceAccountToken"].as<bool>());
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
  ASSERT_EQ(pod["containers"].size(), 2u);
  std::map<std::string, YAML::Node> c;
  for (const auto& container : pod["containers"]) {
    c[container["name"].as<std::string>()] = YAML::Node(container);
  }
  for (const auto& [name, container] : c) {
    const auto& sc = container["securityContext"];
    EXPECT_FALSE(sc["allowPrivilegeEscalation"].as<bool>()) << name;
    EXPECT_TRUE(sc["readOnlyRootFilesystem"].as<bool>()) << name;
    EXPECT_EQ(sc["capabilities"]["drop"][0].as<std::string>(), "ALL") << name;
    // Only the controller mounts the API token; only the data plane may bind low ports.
    bool token = false;
    for (const auto& m : container["volumeMounts"])
      token = token || m["name"].as<std::string>() == "api-token";
    EXPECT_EQ(token, name == "controller") << name;
    // With a read-only root, every path a process writes must be a volume of its own: the
    // socket directory (both), the saved table (data plane), ACME storage (controller).
    std::map<std::string, std::string> mounts;
    for (const auto& m : container["volumeMounts"]) {
      mounts[m["mountPath"].as<std::string>()] = m["name"].as<std::string>();
    }
    EXPECT_EQ(mounts["/run/wharf"], "run") << name;
    EXPECT_EQ(mounts.count("/var/lib/wharf"), name == "dataplane" ? 1u : 0u) << name;
    EXPECT_EQ(mounts.count("/var/lib/wharf/acme"), name == "controller" ? 1u : 0u) << name;
    EXPECT_EQ(bool(sc["capabilities"]["add"]), name == "dataplane") << name;
    EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
    EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  }
  EXPECT_EQ(c["dataplane"]["securityContext"]["capabilities"]["add"][0].as<std::string>(),
            "NET_BIND_SERVICE");
  // Both containers meet on the same control socket, in the shared emptyDir.
  auto args_of = [&](const std::string& name) {
    std::string all;
    for (const auto& a : c[name]["args"]) all += a.as<std::string>() + " ";
    return all;
  };
  EXPECT_NE(args_of("controller").find("--control-socket=/run/wharf/control.sock"),
            std::string::npos);
  EXPECT_NE(args_of("dataplane").find("--control-socket=/run/wharf/control.sock"),
            std::string::npos);
  EXPECT_EQ(args_of("controller").rfind("wharf-controller ", 0), 0u);
  EXPECT_EQ(args_of("dataplane").rfind("wharf-dataplane ", 0), 0u);
}

TEST(Manifests, TheChartMirrorsTheManifestsAndItsSchemaCoversItsValues) {
  const std::string chart = "charts/wharf/";
  for (const char* f :
       {"Chart.yaml", "values.yaml", "values.schema.json", "README.md", "templates/_helpers.tpl",
        "templates/serviceaccount.yaml", "templates/rbac.yaml", "templates/ingressclass.yaml",
        "templates/service.yaml", "templates/workload.yaml", "templates/pdb.yaml",
        "templates/hpa.yaml", "templates/servicemonitor.yaml", "templates/dynamic-config.yaml",
        "templates/gatewayclass.yaml"}) {
    EXPECT_TRUE(std::filesystem::exists(std::string(WHARF_SOURCE_DIR) + "/" + chart + f)) << f;
  }
  auto meta = YAML::Load(source(chart + "Chart.yaml"));
  EXPECT_EQ(meta["apiVersion"].as<std::string>(), "v2");
  // Every top-level value is described by the schema, which refuses unknown ones.
  auto values = YAML::Load(source(chart + "values.yaml"));
  rapidjson::Document schema;
  auto text = source(chart + "values.schema.json");
  schema.Parse(text.c_str());
  ASSERT_FALSE(schema.HasParseError());
  for (const auto& kv : values) {
    EXPECT_TRUE(schema["properties"].HasMember(kv.first.as<std::string>().c_str()))
        << kv.first.as<std::string>();
  }
  EXPECT_FALSE(schema["additionalProperties"].GetBool());
  // The RBAC rules, byte for byte what the manifests grant (templates hold no logic there).
  auto rbac = source(chart + "templates/rbac.yaml");
  std::set<Grant> chart_grants;
  for (std::size_t at = rbac.find("rules:"); at != std::string::npos;
       at = rbac.find("rules:", at + 1)) {
    auto end = rbac.find("---", at);
    auto rules =
        YAML::Load(rbac.substr(at, end == std::string::npos ? std::string::npos : end - at));
    auto g = grants_of(rules["rules"]);
    chart_grants.insert(g.begin(), g.end());
  }
  auto docs = documents("deploy/kubernetes/wharf.yaml");
  auto manifest_grants = grants_of((*find_kind(docs, "ClusterRole"))["rules"]);
  auto role = grants_of((*find_kind(docs, "Role"))["rules"]);
  manifest_grants.insert(role.begin(), role.end());
  EXPECT_EQ(chart_grants, manifest_grants);
  // The pod: every volume mount, container port and fixed flag of the manifests is in the
  // chart's workload as written (values fill in the rest).
  auto workload = source(chart + "templates/workload.yaml");
  const auto& pod = (*find_kind(docs, "Deployment"))["spec"]["template"]["spec"];
  for (const auto& container : pod["containers"]) {
    for (const auto& m : container["volumeMounts"]) {
      auto line = "mountPath: " + m["mountPath"].as<std::string>();
      EXPECT_NE(workload.find(line), std::string::npos) << line;
    }
    for (const auto& p : container["ports"]) {
      auto line = "containerPort: " + p["containerPort"].as<std::string>();
      EXPECT_NE(workload.find(line), std::string::npos) << line;
    }
    for (const auto& a : container["args"]) {
      auto arg = a.as<std::string>();
      auto flag = arg.substr(0, arg.find('='));
      EXPECT_NE(workload.find("- " + flag), std::string::npos) << arg;
    }
  }
  // Templates use only standard Helm functions (a quick guard against copy-ins from other
  // charts' helper libraries).
  for (const auto& entry : std::filesystem::directory_iterator(std::string(WHARF_SOURCE_DIR) + "/" +
                                                               chart + "templates")) {
    std::ifstream in(entry.path());
    std::string t((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(t.find("common."), std::string::npos) << entry.path();
    EXPECT_EQ(t.find("tpl "), std::string::npos) << entry.path();
  }
}

// The rules are what the client uses, no more, no less: every request a controller makes in
// a scenario touching every feature (watches, publish-service status, Events for a broken
// Ingress, TLS Secrets, ACME storage in a Secret, leader election and hand-over) maps to a
// granted (group, resource, verb), and every grant is used.
TEST(Manifests, RbacGrantsExactlyWhatTheControllerClientUses) {
  UpstreamServer web("web", "127.0.0.44", 0);
  Cluster c;
  c.add_app("web", {"127.0.0.44"}, web.port());
  c.api.apply(ingress("web", "web.example", "web"));
  // A broken Ingress (a port the Service lacks): a Warning Event.
  auto broken = ingress("broken", "broken.example", "web");
  broken.replace(broken.find(R"("name":"http")"), 13, R"("name":"nope")");
  c.api.apply(broken);
  c.api.apply(
      R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass","metadata":{"name":"wharf"},)"
      R"("spec":{"controllerName":"wharf.dev/gateway-controller"}})");
  c.api.apply(
      R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"shop"},)"
      R"("spec":{"gatewayClassName":"wharf","listeners":[{"name":"http","protocol":"HTTP","port":80}]}})");
  for (const char* kind : {"HTTPRoute", "GRPCRoute"}) {
    c.api.apply(
        std::string(R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":")") + kind +
        R"(","metadata":{"name":"r","namespace":"shop"},)"
        R"("spec":{"parentRefs":[{"name":"gw"}],"rules":[{"backendRefs":[{"name":"web","port":80}]}]}})");
  }
  c.api.apply(
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"wharf","namespace":"wharf"},)"
      R"("spec":{"type":"LoadBalancer","ports":[{"name":"web","port":80}]},)"
      R"("status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.9"}]}}})");
  // An ACME resolver keeping its account in a Secret: read, then created with the account key
  // (patch first, 404, create). Its CA is unreachable; the storage is what is exercised here.
  std::ofstream(c.dir.path() + "/dynamic.yml")
      << "http:\n  routers:\n    secure:\n      rule: Host(`secure.example`)\n"
         "      service: web\n      tls: {certResolver: le}\n"
         "  services:\n    web:\n      loadBalancer:\n        servers:\n"
         "          - url: http://127.0.0.44:1\n";
  c.start_controller(
      {"--publish-service", "wharf/wharf", "--leader-elect-resource-namespace", "wharf",
       "--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1500ms",
       "--leader-elect-retry-period", "200ms", "--file", c.dir.path() + "/dynamic.yml",
       "--certificatesresolvers.le.acme.storage=secret:wharf/wharf-acme",
       "--certificatesresolvers.le.acme.caserver=http://127.0.0.1:1/dir",
       // The ingress-nginx class reads its ConfigMap (and Opaque Secrets).
       "--ingress-nginx", "--ingress-nginx-configmap", "ingress-nginx/ingress-nginx-controller",
       // The Gateway API: every kind read, every status written.
       "--gateway-api"});
  auto seen = [&](const std::string& needle) {
    for (const auto& r : c.api.requests()) {
      if (r.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  auto all_seen = [&] {
    return seen("/status") && seen("/events") && seen("/leases") &&
           seen("POST /api/v1/namespaces/wharf/secrets") && seen("gatewayclasses/wharf/status") &&
           seen("gateways/gw/status") && seen("httproutes/r/status") && seen("grpcroutes/r/status");
  };
  for (int i = 0; i < 300 && !all_seen(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(all_seen()) << c.ctl->log();
  std::this_thread::sleep_for(600ms);                  // A lease renewal or two (update).
  EXPECT_EQ(c.ctl->stop(SIGTERM), 0) << c.ctl->log();  // Hands the lease over (update).

  std::set<Grant> used;
  for (const auto& r : c.api.requests()) {
    // Discovery (GET /apis/GROUP/VERSION) is open to every authenticated client.
    const std::string path = r.substr(r.find(' ') + 1, r.find('?') - r.find(' ') - 1);
    if (path.starts_with("/apis/") && std::count(path.begin(), path.end(), '/') == 3) continue;
    used.insert(grant_for(r));
  }
  auto docs = documents("deploy/kubernetes/wharf.yaml");
  auto granted = grants_of((*find_kind(docs, "ClusterRole"))["rules"]);
  auto role = grants_of((*find_kind(docs, "Role"))["rules"]);
  granted.insert(role.begin(), role.end());
  auto show = [](const std::set<Grant>& s) {
    std::string out;
    for (const auto& [g, r, v] : s)
      out += "  " + (g.empty() ? "core" : g) + " " + r + " " + v + "\n";
    return out;
  };
  EXPECT_EQ(used, granted) << "used:\n" << show(used) << "granted:\n" << show(granted);
}

}  // namespace
}  // namespace wharf::test
