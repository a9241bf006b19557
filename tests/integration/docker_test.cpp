// The whole product against a real dockerd: the wharf-controller and wharf-dataplane binaries
// as processes, host-network busybox httpd containers on 127.0.0.1 as the apps.

#include <signal.h>

#include <cstdlib>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/tcp_clients.hpp"
#include "test_common/tcp_to_unix.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

unsigned status_of(std::uint16_t port, const std::string& host) {
  return host_status(port, host);
}

::testing::AssertionResult eventually(std::uint16_t port, const std::string& host, unsigned want) {
  unsigned got = wait_for_host_status(port, host, want);
  if (got == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << host << " answered " << got << ", wanted " << want;
}

std::vector<std::string> app_labels(const std::string& name, std::uint16_t port) {
  return {"wharf.enable=true", "wharf.http.routers." + name + ".rule=Host(`" + name + ".test`)",
          "wharf.http.services." + name + ".loadbalancer.server.port=" + std::to_string(port)};
}

std::unique_ptr<ChildProcess> start_controller(const std::string& socket, const Dockerd& d) {
  return std::make_unique<ChildProcess>(std::vector<std::string>{
      WHARF_CONTROLLER_BINARY, "--control-socket", socket, "--docker-endpoint", d.endpoint(),
      "--docker-label-prefixes", "wharf,traefik", "--metrics-address", "127.0.0.1:0"});
}

class DockerIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto why = Dockerd::unavailable_reason();
    if (!why.empty()) {
      if (std::getenv("WHARF_REQUIRE_DOCKER")) FAIL() << why;
      GTEST_SKIP() << why;
    }
    dockerd_ = std::make_unique<Dockerd>();
  }
  std::unique_ptr<Dockerd> dockerd_;
};

TEST_F(DockerIntegration, LabelsRouteStopGives503RemoveGives404BadRuleIsIsolated) {
  Dockerd& d = *dockerd_;
  DataplaneProcess dp;
  auto app = free_port(), other = free_port();
  d.run_httpd("app", app, app_labels("app", app));
  // Immich's documented labels, traefik prefix, on a second app.
  d.run_httpd("immich", other,
              {"traefik.enable=true", "traefik.http.routers.immich.rule=Host(`immich.test`)",
               "traefik.http.services.immich.loadbalancer.server.port=" + std::to_string(other)});
  auto broken = free_port();
  d.run_httpd("broken", broken,
              {"wharf.enable=true", "wharf.http.routers.broken.rule=Host(`broken.test`",
               "wharf.http.services.broken.loadbalancer.server.port=" + std::to_string(broken)});
  auto ctl = start_controller(dp.control_socket(), d);

  EXPECT_TRUE(eventually(dp.port(), "app.test", 200));
  EXPECT_TRUE(eventually(dp.port(), "immich.test", 200));
  EXPECT_EQ(status_of(dp.port(), "broken.test"), 404u);
  EXPECT_NE(
      ctl->wait_for_log("rejected router broken@docker: label wharf.http.routers.broken.rule="
                        "Host(`broken.test`: column 19: expected ',' or ')', found end of rule",
                        5s),
      std::string::npos)
      << ctl->log();

  // --check reports the same and fails.
  auto check =
      run_command({WHARF_CONTROLLER_BINARY, "--check", "--docker-endpoint", d.endpoint(),
                   "--docker-label-prefixes", "wharf,traefik", "--metrics-address", "127.0.0.1:0"});
  EXPECT_EQ(check.status, 1) << check.out;
  EXPECT_NE(check.out.find("router broken@docker: label wharf.http.routers.broken.rule="),
            std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("app@docker  Host(`app.test`)  -> app@docker"), std::string::npos)
      << check.out;

  // A container labelled while everything runs.
  auto late = free_port();
  d.run_httpd("late", late, app_labels("late", late));
  EXPECT_TRUE(eventually(dp.port(), "late.test", 200));

  d.docker({"stop", "app"});
  EXPECT_TRUE(eventually(dp.port(), "app.test", 503));
  EXPECT_EQ(status_of(dp.port(), "immich.test"), 200u);
  d.docker({"start", "app"});
  EXPECT_TRUE(eventually(dp.port(), "app.test", 200));
  d.docker({"rm", "-f", "app"});
  EXPECT_TRUE(eventually(dp.port(), "app.test", 404));
  EXPECT_EQ(status_of(dp.port(), "late.test"), 200u);
}

TEST_F(DockerIntegration, PausedAndUnhealthyContainersAnswer503) {
  Dockerd& d = *dockerd_;
  DataplaneProcess dp;
  auto p1 = free_port(), p2 = free_port();
  d.run_httpd("pausable", p1, app_labels("pausable", p1));
  d.run_httpd("sick", p2, app_labels("sick", p2),
              {"--health-cmd", "/bin/false", "--health-interval", "1s", "--health-retries", "1"});
  auto ctl = start_controller(dp.control_socket(), d);
  EXPECT_TRUE(eventually(dp.port(), "pausable.test", 200));
  EXPECT_TRUE(eventually(dp.port(), "sick.test", 503));  // health_status event
  d.docker({"pause", "pausable"});
  EXPECT_TRUE(eventually(dp.port(), "pausable.test", 503));
  d.docker({"unpause", "pausable"});
  EXPECT_TRUE(eventually(dp.port(), "pausable.test", 200));
}

TEST_F(DockerIntegration, RoutesComeBackAfterDockerdRestarts) {
  Dockerd& d = *dockerd_;
  DataplaneProcess dp;
  auto port = free_port();
  d.run_httpd("survivor", port, app_labels("survivor", port), {"--restart", "always"});
  auto ctl = start_controller(dp.control_socket(), d);
  EXPECT_TRUE(eventually(dp.port(), "survivor.test", 200));
  auto before = ctl->log().size();
  d.restart();
  EXPECT_NE(ctl->wait_for_log("docker: connected to", 30s, before), std::string::npos)
      << ctl->log();
  EXPECT_TRUE(eventually(dp.port(), "survivor.test", 200));
  // The event stream works again after the reconnect.
  auto next = free_port();
  d.run_httpd("newcomer", next, app_labels("newcomer", next));
  EXPECT_TRUE(eventually(dp.port(), "newcomer.test", 200));
}

TEST_F(DockerIntegration, DataPlaneOutlivesControllerAndServesSavedTableAfterRestart) {
  Dockerd& d = *dockerd_;
  TempDir shared;
  const std::string state = shared.path() + "/state", socket = shared.path() + "/control.sock";
  auto dp = std::make_unique<DataplaneProcess>(std::vector<std::string>{}, state, socket);
  auto p1 = free_port();
  d.run_httpd("first", p1, app_labels("first", p1));
  auto ctl = start_controller(socket, d);
  EXPECT_TRUE(eventually(dp->port(), "first.test", 200));

  // Data plane restarted while the controller runs: it serves the saved table at once, and the
  // controller delivers what changed meanwhile when it reconnects.
  EXPECT_EQ(dp->terminate(), 0);
  auto p2 = free_port();
  d.run_httpd("second", p2, app_labels("second", p2));
  std::this_thread::sleep_for(300ms);  // the controller has compiled a table it cannot deliver
  dp = std::make_unique<DataplaneProcess>(std::vector<std::string>{}, state, socket);
  EXPECT_EQ(status_of(dp->port(), "first.test"), 200u);
  EXPECT_TRUE(eventually(dp->port(), "second.test", 200));

  // Controller killed: the data plane keeps serving.
  ctl->stop(SIGKILL);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(status_of(dp->port(), "first.test"), 200u);

  // Restarted with no controller running: exactly the saved table...
  auto p3 = free_port();
  d.run_httpd("third", p3, app_labels("third", p3));
  EXPECT_EQ(dp->terminate(), 0);
  dp = std::make_unique<DataplaneProcess>(std::vector<std::string>{}, state, socket);
  EXPECT_EQ(status_of(dp->port(), "first.test"), 200u);
  EXPECT_EQ(status_of(dp->port(), "second.test"), 200u);
  EXPECT_EQ(status_of(dp->port(), "third.test"), 404u);
  // ...then the latest once a controller connects.
  ctl = start_controller(socket, d);
  EXPECT_TRUE(eventually(dp->port(), "third.test", 200));
}

TEST_F(DockerIntegration, TcpEndpointAndOnlyGetRequests) {
  Dockerd& d = *dockerd_;
  TcpToUnix tcp(d.endpoint().substr(7));
  DataplaneProcess dp;
  auto port = free_port();
  d.run_httpd("viatcp", port, app_labels("viatcp", port));
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", dp.control_socket(),
                    "--docker-endpoint", tcp.endpoint(), "--metrics-address", "127.0.0.1:0"});
  EXPECT_TRUE(eventually(dp.port(), "viatcp.test", 200));
  d.docker({"stop", "viatcp"});
  EXPECT_TRUE(eventually(dp.port(), "viatcp.test", 503));
  auto lines = tcp.request_lines();
  ASSERT_FALSE(lines.empty());
  bool saw_events = false, saw_inspect = false;
  for (const auto& l : lines) {
    EXPECT_EQ(l.rfind("GET /", 0), 0u) << l;
    saw_events = saw_events || l.find("/events?filters=") != std::string::npos;
    saw_inspect = saw_inspect || l.find("/v1.41/containers/") != std::string::npos;
  }
  EXPECT_TRUE(saw_events);
  EXPECT_TRUE(saw_inspect);
}

// `docker run` arguments for a host-network busybox container carrying the labels of
// `service` in a real setup of tests/controller/fixtures/traefik-real, verbatim but for
// ${VARIABLES} (from `env`) and the server ports: a label whose key ends with a key of `ports`
// gets that port. `command` is what the container runs.
std::vector<std::string> corpus_container(const std::string& file, const std::string& service,
                                          const std::map<std::string, std::string>& env,
                                          const std::map<std::string, std::uint16_t>& ports,
                                          const std::string& command) {
  auto doc = YAML::LoadFile(std::string(WHARF_SOURCE_DIR) +
                            "/tests/controller/fixtures/traefik-real/labels/" + file);
  std::vector<std::string> args = {"run",       "-d",   "--init", "--stop-timeout", "2",
                                   "--network", "host", "--name", service};
  for (const auto& item : doc["services"][service]["labels"]) {
    const auto label = item.as<std::string>();
    const auto eq = label.find('=');
    const std::string key = label.substr(0, eq);
    std::string value = label.substr(eq + 1);
    for (const auto& [suffix, port] : ports) {
      if (key.ends_with(suffix)) value = std::to_string(port);
    }
    for (const auto& [name, v] : env) {
      const std::string var = "${" + name + "}";
      if (auto at = value.find(var); at != std::string::npos) value.replace(at, var.size(), v);
    }
    args.insert(args.end(), {"--label", key + "=" + value});
  }
  args.insert(args.end(), {Dockerd::kImage, "sh", "-c", command});
  return args;
}

// The port the data plane listens on for `entrypoint`, from its start-up log.
std::uint16_t listening_port(const DataplaneProcess& dp, const std::string& entrypoint) {
  const auto log = dp.log();
  const std::string marker = "entrypoint=" + entrypoint + " address=127.0.0.1:";
  const auto at = log.find(marker);
  EXPECT_NE(at, std::string::npos) << log;
  return at == std::string::npos
             ? 0
             : static_cast<std::uint16_t>(std::stoi(log.substr(at + marker.size())));
}

// `exchange` until it gives what starts with `want` (the controller routes a moment later).
std::string eventually_exchange(std::uint16_t port, const std::string& send,
                                const std::string& want) {
  std::string got;
  for (auto end = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(100ms)) {
    got = tcp_exchange(port, send);
    if (got.starts_with(want)) break;
  }
  return got;
}

// Gitea's compose labels from a real setup: the web port by host, and SSH on an entry point of
// its own relayed by a HostSNI(`*`) TCP router to the container's SSH port (busybox nc running
// cat: the bytes come back, and the client's half-close ends the exchange).
TEST_F(DockerIntegration, GiteaSshLabelsAreRelayedBesideItsWebRouter) {
  Dockerd& d = *dockerd_;
  DataplaneProcess dp({"--entrypoint", "websecure=127.0.0.1:0", "--entrypoint", "ssh=127.0.0.1:0"});
  const auto web = free_port(), ssh = free_port();
  d.docker(corpus_container(
      "enigmacurry-gitea.yml", "gitea", {{"GITEA_TRAEFIK_HOST", "git.example.com"}},
      {{"gitea-web.loadbalancer.server.port", web}, {"gitea-ssh.loadbalancer.server.port", ssh}},
      "httpd -h /www -p 127.0.0.1:" + std::to_string(web) + " && exec nc -ll -p " +
          std::to_string(ssh) + " -e cat"));
  auto ctl = start_controller(dp.control_socket(), d);
  EXPECT_EQ(eventually_exchange(listening_port(dp, "ssh"), "SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0"),
            "SSH-2.0-OpenSSH_9.2\r\n")
      << ctl->log() << dp.log();
  // The labels give the web router no TLS: it answers plain HTTP on websecure, as in Traefik.
  EXPECT_EQ(wait_for_host_status(listening_port(dp, "websecure"), "git.example.com", 200), 200u);
}

// Mailu's documented front labels: each mail port on its entry point with the PROXY protocol
// v2 to the server (tests/peers/tcp_peer.py --proxy, which parses it and says whom it names),
// HTTPS passed through by SNI with the same header, and the web port by host.
TEST_F(DockerIntegration, MailuLabelsRouteMailPortsWithTheProxyProtocol) {
  Dockerd& d = *dockerd_;
  std::vector<std::string> flags;
  for (const char* ep : {"websecure", "smtp", "submissions", "imaps", "pop3s", "sieve"}) {
    flags.insert(flags.end(), {"--entrypoint", std::string(ep) + "=127.0.0.1:0"});
  }
  DataplaneProcess dp(flags);
  auto mail = tcp_peer({"--proxy"});
  const auto web = free_port();
  std::map<std::string, std::uint16_t> ports = {{"web.loadbalancer.server.port", web}};
  for (const char* s : {"websecure", "smtp", "submissions", "imaps", "pop3s", "sieve"}) {
    ports[std::string("tcp.services.") + s + ".loadbalancer.server.port"] = mail.port;
  }
  d.docker(corpus_container("mailu-docs-front.yml", "front", {}, ports,
                            "exec httpd -f -h /www -p 127.0.0.1:" + std::to_string(web)));
  auto ctl = start_controller(dp.control_socket(), d);
  for (const char* ep : {"smtp", "submissions", "imaps", "pop3s", "sieve"}) {
    const auto got = eventually_exchange(listening_port(dp, ep), "EHLO client\r\n", "proxy v2");
    EXPECT_TRUE(got.starts_with("proxy v2 127.0.0.1 ")) << ep << ": " << got << ctl->log();
    EXPECT_TRUE(got.ends_with("\nEHLO client\r\n<eof>\n")) << ep << ": " << got;
  }
  const auto hello = client_hello("mail.example.com");
  const auto https = eventually_exchange(listening_port(dp, "websecure"), hello, "proxy v2");
  EXPECT_TRUE(https.starts_with("proxy v2 127.0.0.1 ")) << https;
  EXPECT_TRUE(https.ends_with(hello + "<eof>\n"));
  EXPECT_EQ(wait_for_host_status(dp.port(), "mail.example.com", 200), 200u);
}

}  // namespace
}  // namespace wharf::test
