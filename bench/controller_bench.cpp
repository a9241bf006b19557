// Controller timings, run by bench/controller.sh (not a test: figures, no pass/fail).
//
//   wharf-bench-controller event-latency N   container start → first 200 through the data
//                                             plane, over N containers (private dockerd)
//   wharf-bench-controller file-apply N      N routers in the file provider: file written →
//                                             compiled, pushed, applied, answering
//   wharf-bench-controller kube-scale N      N Ingresses, N Services, 5 endpoints each, from a
//                                             fixture API server: listed → answering, controller
//                                             peak RSS; then endpoint changes → data plane updated
//   wharf-bench-controller kube-nginx N      the same with Ingresses of the ingress-nginx class,
//                                             each with the annotations real ones carry most
//   wharf-bench-controller kube-gateway N    N HTTPRoutes over 10 Gateways (--gateway-api):
//                                             start → answering, status written for all (writes
//                                             counted), then an HTTPRoute's backend changed →
//                                             traffic following it
//
// Both run the real wharf-controller and wharf-dataplane binaries with default flags.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/kube_api_fixture.hpp"
#include "test_common/upstream_server.hpp"

using namespace wharf::test;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

namespace {

// Polls every millisecond until `host` answers 200; returns when it first did.
Clock::time_point first_200(std::uint16_t port, const std::string& host,
                            std::chrono::seconds limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (host_status(port, host, 2'000) == 200) return Clock::now();
    std::this_thread::sleep_for(1ms);
  }
  return Clock::time_point{};
}

// Docker's RFC 3339 timestamps with nanoseconds ("2026-11-24T02:37:29.823808777Z").
Clock::time_point parse_docker_time(std::string s) {
  std::tm tm{};
  strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  auto t = Clock::from_time_t(timegm(&tm));
  auto dot = s.find('.');
  if (dot != std::string::npos) {
    std::string frac = s.substr(dot + 1, s.find('Z') - dot - 1);
    frac.resize(9, '0');
    t += std::chrono::nanoseconds(std::stoll(frac));
  }
  return t;
}

void report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * ms.size()))];
  };
  std::printf("%s: n=%zu p50=%.1f ms p99=%.1f ms max=%.1f ms\n", what, ms.size(), pct(0.50),
              pct(0.99), ms.back());
}

// 40 changes that move `host` between pod A and pod B (`change(true)`: to B): for each, the
// time until the data plane sends the host's requests to the new pod.
std::vector<double> follow(std::uint16_t port, const std::string& host, UpstreamServer& a,
                           UpstreamServer& b, const std::function<void(bool)>& change) {
  std::vector<double> ms;
  for (int round = 0; round < 40; ++round) {
    const bool to_b = round % 2 == 0;
    UpstreamServer& to = to_b ? b : a;
    change(to_b);
    auto w = Clock::now();
    Clock::time_point seen{};
    while (Clock::now() - w < 30s) {
      auto before = to.requests_served();
      host_status(port, host, 2'000);
      if (to.requests_served() > before) {
        seen = Clock::now();
        break;
      }
      std::this_thread::sleep_for(1ms);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(seen - w).count());
  }
  return ms;
}

int event_latency(int n) {
  Dockerd d;
  DataplaneProcess dp;
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", dp.control_socket(),
                    "--docker-endpoint", d.endpoint()});
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    std::string name = "bench" + std::to_string(i);
    auto port = free_port();
    d.docker({"create",
              "--init",
              "--stop-timeout",
              "1",
              "--network",
              "host",
              "--name",
              name,
              "--label",
              "wharf.enable=true",
              "--label",
              "wharf.http.routers." + name + ".rule=Host(`" + name + ".bench`)",
              "--label",
              "wharf.http.services." + name + ".loadbalancer.server.port=" + std::to_string(port),
              Dockerd::kImage,
              "/bin/httpd",
              "-f",
              "-h",
              "/www",
              "-p",
              "127.0.0.1:" + std::to_string(port)});
    std::thread starter([&] { d.docker({"start", name}); });
    auto seen = first_200(dp.port(), name + ".bench", 30s);
    starter.join();
    auto started_at = d.docker({"inspect", "-f", "{{.State.StartedAt}}", name});
    if (seen == Clock::time_point{}) {
      std::fprintf(stderr, "%s never answered 200\n%s\n", name.c_str(), ctl.log().c_str());
      return 1;
    }
    ms.push_back(
        std::chrono::duration<double, std::milli>(seen - parse_docker_time(started_at)).count());
  }
  report("container start -> first 200", ms);
  return 0;
}

std::string routers_file(const std::string& url, int n, const std::string& tag) {
  std::string out = "http:\n  routers:\n";
  for (int i = 0; i < n; ++i) {
    auto h = "h" + std::to_string(i) + tag;
    out += "    " + h + ":\n      rule: Host(`" + h + ".bench`)\n      service: app\n";
  }
  out += "  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: " + url +
         "\n";
  return out;
}

int file_apply(int n) {
  UpstreamServer app;
  DataplaneProcess dp;
  TempDir dir;
  const std::string file = dir.path() + "/dynamic.yml";
  std::vector<double> first, change;
  std::ofstream(file) << routers_file(app.url(), n, "a");
  auto t0 = Clock::now();
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", dp.control_socket(), "--file",
                    file, "--docker-endpoint", "off"});
  auto t1 = first_200(dp.port(), "h" + std::to_string(n - 1) + "a.bench", 60s);
  first.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  // Every router renamed: the whole table is new each time.
  for (int round = 0; round < 5; ++round) {
    std::string tag = "r" + std::to_string(round);
    std::ofstream(file + ".tmp") << routers_file(app.url(), n, tag);
    auto w = Clock::now();
    std::rename((file + ".tmp").c_str(), file.c_str());
    auto seen = first_200(dp.port(), "h" + std::to_string(n - 1) + tag + ".bench", 60s);
    change.push_back(std::chrono::duration<double, std::milli>(seen - w).count());
  }
  std::printf("%d routers, controller start -> last router answering: %.0f ms\n", n, first[0]);
  report((std::to_string(n) +
          " routers, file replaced -> last router answering (incl. 100 ms throttle)")
             .c_str(),
         change);
  return 0;
}

std::string kube_objects(int i, const std::vector<std::string>& ips, std::uint16_t port) {
  auto n = std::to_string(i);
  std::string eps;
  for (const auto& ip : ips) {
    eps += (eps.empty() ? "" : ",") + std::string(R"({"addresses":[")") + ip +
           R"("],"conditions":{"ready":true}})";
  }
  return R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s)" + n +
         R"(-x","namespace":"bench","labels":{"kubernetes.io/service-name":"s)" + n +
         R"("}},"addressType":"IPv4","ports":[{"name":"http","port":)" + std::to_string(port) +
         R"(,"protocol":"TCP"}],"endpoints":[)" + eps + "]}";
}

// What an ingress-nginx Ingress typically carries (body size, a timeout, an allow list, a rate
// limit, CORS, a snippet), as the annotations part of an Ingress's metadata. ssl-redirect is off
// so the plain-HTTP probe sees the 200 (its TLS section would redirect it).
const char* kNginxAnnotations =
    R"("annotations":{"nginx.ingress.kubernetes.io/proxy-body-size":"50m",)"
    R"("nginx.ingress.kubernetes.io/proxy-read-timeout":"300",)"
    R"("nginx.ingress.kubernetes.io/ssl-redirect":"false",)"
    R"("nginx.ingress.kubernetes.io/whitelist-source-range":"127.0.0.0/8,10.0.0.0/8",)"
    R"("nginx.ingress.kubernetes.io/limit-rps":"100",)"
    R"("nginx.ingress.kubernetes.io/enable-cors":"true",)"
    R"("nginx.ingress.kubernetes.io/configuration-snippet":"more_set_headers \"X: 1\";"},)";

int kube_scale(int n, bool nginx) {
  // Five "pods" per Service on 127.0.0.x; only the first two answer, the others are addresses
  // for the table's size. Endpoint changes flip service 0 between pod A and pod B.
  UpstreamServer a("a", "127.0.0.41", 0);
  UpstreamServer b("b", "127.0.0.42", a.port());
  KubeApiFixture api;
  api.apply(
      R"({"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"wharf"},"spec":{"controller":"wharf.dev/ingress-controller"}})");
  api.apply(
      R"({"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"nginx"},"spec":{"controller":"k8s.io/ingress-nginx"}})");
  // Each Ingress has a TLS section naming its own Secret with a distinct certificate and key,
  // so the controller's certificate checks are part of the figures.
  TempDir certs;
  auto made = run_command(
      {"sh", "-c",
       "cd " + certs.path() + " && for i in $(seq 0 " + std::to_string(n - 1) +
           "); do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 "
           "-subj /CN=h$i.bench -keyout k -out c 2>/dev/null || exit 1; "
           "printf '{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
           "\"t%s\",\"namespace\":\"bench\"},\"type\":\"kubernetes.io/tls\",\"data\":"
           "{\"tls.crt\":\"%s\",\"tls.key\":\"%s\"}}\\n' $i $(base64 -w0 c) $(base64 -w0 k); "
           "done > secrets"});
  if (made.status != 0) {
    std::fprintf(stderr, "openssl failed: %s\n", made.out.c_str());
    return 1;
  }
  std::ifstream secrets(certs.path() + "/secrets");
  for (std::string line; std::getline(secrets, line);) api.apply(line);
  for (int i = 0; i < n; ++i) {
    auto s = std::to_string(i);
    api.apply(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s)" + s +
              R"(","namespace":"bench"},"spec":{"ports":[{"name":"http","port":80}]}})");
    api.apply(kube_objects(
        i, {"127.0.0.41", "127.0.0.43", "127.0.0.44", "127.0.0.45", "127.0.0.46"}, a.port()));
    api.apply(
        R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{)" +
        (nginx ? std::string(kNginxAnnotations) : std::string()) + R"("name":"i)" + s +
        R"(","namespace":"bench"},"spec":{"ingressClassName":")" + (nginx ? "nginx" : "wharf") +
        R"(","tls":[{"hosts":["h)" + s + R"(.bench"],"secretName":"t)" + s +
        R"("}],"rules":[{"host":"h)" + s +
        R"(.bench","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"s)" +
        s + R"(","port":{"name":"http"}}}}]}}]}})");
  }
  DataplaneProcess dp;
  TempDir dir;
  auto t0 = Clock::now();
  std::vector<std::string> argv = {WHARF_CONTROLLER_BINARY,
                                   "--control-socket",
                                   dp.control_socket(),
                                   "--kubeconfig",
                                   api.write_kubeconfig(dir.path()),
                                   "--docker-endpoint",
                                   "off"};
  if (nginx) argv.push_back("--ingress-nginx");
  ChildProcess ctl(argv);
  // Hosts of the last Ingress answer once everything was listed, translated and applied.
  auto t1 = first_200(dp.port(), "h" + std::to_string(n - 1) + ".bench", 120s);
  if (t1 == Clock::time_point{}) {
    std::fprintf(stderr, "never answered\n%s\n", ctl.log().c_str());
    return 1;
  }
  std::printf(
      "%d %sIngresses (each with a TLS Secret), %d endpoints: controller start -> all "
      "answering %.0f ms, controller peak RSS %.1f MiB\n",
      n, nginx ? "ingress-nginx " : "", n * 5,
      std::chrono::duration<double, std::milli>(t1 - t0).count(),
      static_cast<double>(peak_rss_kib(ctl.pid())) / 1024);
  // Endpoint changes: service 0's only endpoint moves between pod A and pod B; the time until
  // the data plane sends requests to the new one.
  auto ms = follow(dp.port(), "h0.bench", a, b, [&](bool to_b) {
    api.apply(kube_objects(0, {to_b ? "127.0.0.42" : "127.0.0.41"}, a.port()));
  });
  report("EndpointSlice change -> data plane routes to the new endpoint (incl. 100 ms throttle)",
         ms);
  return 0;
}

// The Gateway API at scale: N HTTPRoutes (host hI.bench, Service sI, 5 endpoints) spread over
// 10 Gateways of one class, each with one HTTP listener. Route 0 then flips between Service s0
// (pod A) and Service sb (pod B); each flip is timed until pod B (or A) gets the requests.
int kube_gateway(int n) {
  UpstreamServer a("a", "127.0.0.41", 0);
  UpstreamServer b("b", "127.0.0.42", a.port());
  KubeApiFixture api;
  api.apply(
      R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass","metadata":{"name":"wharf"},"spec":{"controllerName":"wharf.dev/gateway-controller"}})");
  for (int g = 0; g < 10; ++g) {
    api.apply(
        R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"g)" +
        std::to_string(g) +
        R"(","namespace":"bench"},"spec":{"gatewayClassName":"wharf","listeners":[{"name":"http","protocol":"HTTP","port":80}]}})");
  }
  auto route = [](int i, const std::string& service) {
    auto s = std::to_string(i);
    return R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r)" +
           s + R"(","namespace":"bench"},"spec":{"parentRefs":[{"name":"g)" +
           std::to_string(i % 10) + R"("}],"hostnames":["h)" + s +
           R"(.bench"],"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/"}}],"backendRefs":[{"name":")" +
           service + R"(","port":80}]}]}})";
  };
  for (int i = 0; i < n; ++i) {
    auto s = std::to_string(i);
    api.apply(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s)" + s +
              R"(","namespace":"bench"},"spec":{"ports":[{"name":"http","port":80}]}})");
    api.apply(kube_objects(
        i, {"127.0.0.41", "127.0.0.43", "127.0.0.44", "127.0.0.45", "127.0.0.46"}, a.port()));
    api.apply(route(i, "s" + s));
  }
  api.apply(
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"sb","namespace":"bench"},"spec":{"ports":[{"name":"http","port":80}]}})");
  api.apply(
      R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"sb-x","namespace":"bench","labels":{"kubernetes.io/service-name":"sb"}},"addressType":"IPv4","ports":[{"name":"http","port":)" +
      std::to_string(a.port()) +
      R"(,"protocol":"TCP"}],"endpoints":[{"addresses":["127.0.0.42"],"conditions":{"ready":true}}]})");
  DataplaneProcess dp;
  TempDir dir;
  auto t0 = Clock::now();
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", dp.control_socket(),
                    "--kubeconfig", api.write_kubeconfig(dir.path()), "--docker-endpoint", "off",
                    "--gateway-api", "--publish-address", "192.0.2.1"});
  auto t1 = first_200(dp.port(), "h" + std::to_string(n - 1) + ".bench", 120s);
  if (t1 == Clock::time_point{}) {
    std::fprintf(stderr, "never answered\n%s\n", ctl.log().c_str());
    return 1;
  }
  std::printf(
      "%d HTTPRoutes over 10 Gateways, %d endpoints: controller start -> all answering %.0f ms, "
      "controller peak RSS %.1f MiB\n",
      n, n * 5, std::chrono::duration<double, std::milli>(t1 - t0).count(),
      static_cast<double>(peak_rss_kib(ctl.pid())) / 1024);
  // Status: every route's parents written; the writes the API server received.
  auto status_writes = [&] {
    std::size_t writes = 0;
    for (const auto& r : api.requests()) {
      writes += r.starts_with("PATCH") && r.find("/status") != std::string::npos;
    }
    return writes;
  };
  const auto expected = static_cast<std::size_t>(n) + 11;  // routes, Gateways, the class
  Clock::time_point t2{};
  while (Clock::now() - t0 < 300s) {
    if (status_writes() >= expected) {
      t2 = Clock::now();
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(2s);  // Nothing more should come.
  std::printf(
      "status written for %zu objects: %.1f s after start, %zu PATCH requests in all (one at a "
      "time, at most 20/s)\n",
      expected, std::chrono::duration<double>(t2 - t0).count(), status_writes());
  auto ms = follow(dp.port(), "h0.bench", a, b,
                   [&](bool to_b) { api.apply(route(0, to_b ? "sb" : "s0")); });
  report("HTTPRoute backend change -> traffic follows (incl. 100 ms throttle)", ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: %s event-latency|file-apply|kube-scale|kube-nginx|kube-gateway N\n",
                 argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  int n = std::atoi(argv[2]);
  if (mode == "event-latency") return event_latency(n);
  if (mode == "file-apply") return file_apply(n);
  if (mode == "kube-scale") return kube_scale(n, false);
  if (mode == "kube-nginx") return kube_scale(n, true);
  if (mode == "kube-gateway") return kube_gateway(n);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
