#pragma once

// Kubernetes objects as the API serves them, and a fixture cluster (API server, data plane,
// controller) for the integration tests of the Kubernetes provider.

#include <memory>
#include <string>
#include <vector>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/kube_api_fixture.hpp"

namespace wharf::test {

inline std::string ingress_class() {
  return R"({"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"wharf"},)"
         R"("spec":{"controller":"wharf.dev/ingress-controller"}})";
}

inline std::string ingress(const std::string& name, const std::string& host,
                           const std::string& service) {
  return R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":")" + name +
         R"(","namespace":"shop"},"spec":{"ingressClassName":"wharf","rules":[{"host":")" + host +
         R"(","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":")" +
         service + R"(","port":{"name":"http"}}}}]}}]}})";
}

inline std::string service(const std::string& name) {
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name +
         R"(","namespace":"shop"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.40","ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}})";
}

inline std::string slice(const std::string& service, const std::vector<std::string>& ips,
                         std::uint16_t port) {
  std::string eps;
  for (const auto& ip : ips) {
    eps += (eps.empty() ? "" : ",") + std::string(R"({"addresses":[")") + ip +
           R"("],"conditions":{"ready":true,"serving":true,"terminating":false}})";
  }
  return R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":")" +
         service + R"(-abcde","namespace":"shop","labels":{"kubernetes.io/service-name":")" +
         service + R"("}},"addressType":"IPv4","ports":[{"name":"http","port":)" +
         std::to_string(port) + R"(,"protocol":"TCP"}],"endpoints":[)" + eps + "]}";
}

// wharf-controller with Kubernetes only, pushing to `control_socket`.
inline std::unique_ptr<ChildProcess> start_kube_controller(const KubeApiFixture& api,
                                                           const std::string& dir,
                                                           const std::string& control_socket,
                                                           std::vector<std::string> flags = {}) {
  std::vector<std::string> argv = {WHARF_CONTROLLER_BINARY,
                                   "--control-socket",
                                   control_socket,
                                   "--kubeconfig",
                                   api.write_kubeconfig(dir),
                                   "--docker-endpoint",
                                   "off",
                                   "--metrics-address",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return std::make_unique<ChildProcess>(argv);
}

// The fixture API server, one data plane (its state in `state`) and the controller feeding it.
struct Cluster {
  KubeApiFixture api;
  TempDir dir;
  TempDir state;
  DataplaneProcess dp{{}, state.path()};
  std::unique_ptr<ChildProcess> ctl;
  // Our IngressClass, and Service `name` whose EndpointSlice holds `ips` on `port`.
  void add_app(const std::string& name, const std::vector<std::string>& ips, std::uint16_t port) {
    api.apply(ingress_class());
    api.apply(service(name));
    api.apply(slice(name, ips, port));
  }
  void start_controller(std::vector<std::string> flags = {}) {
    ctl = start_kube_controller(api, dir.path(), dp.control_socket(), std::move(flags));
  }
  bool eventually(const std::string& host, unsigned want) {
    return wait_for_host_status(dp.port(), host, want, 15'000) == want;
  }
};

}  // namespace wharf::test
