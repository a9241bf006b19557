// The whole product against a real dockerd: the wharf-controller and wharf-dataplane binaries
// as processes, host-network busybox httpd containers on 127.0.0.1 as the apps.

#include <signal.h>

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
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

// Gitea's compose labels from a real setup (tests/controller/fixtures/traefik-real), verbatim
// but for the ports: the web port by host, and SSH on an entry point of its own
// relayed by a HostSNI(`*`) TCP router to the container's SSH port (busybox nc running cat: the
// bytes come back, and the client's half-close ends the exchange).
TEST_F(DockerIntegration, GiteaSshLabelsAreRelayedBesideItsWebRouter) {
  Dockerd& d = *dockerd_;
  DataplaneProcess dp({"--entrypoint", "websecure=127.0.0.1:0", "--entrypoint", "ssh=127.0.0.1:0"});
  const auto web = free_port(), ssh = free_port();
  auto doc = YAML::LoadFile(std::string(WHARF_SOURCE_DIR) +
                            "/tests/controller/fixtures/traefik-real/labels/enigmacurry-gitea.yml");
  std::vector<std::string> args = {"run",       "-d",   "--init", "--stop-timeout", "2",
                                   "--network", "host", "--name", "gitea"};
  for (const auto& item : doc["services"]["gitea"]["labels"]) {
    auto label = item.as<std::string>();
    auto eq = label.find('=');
    std::string key = label.substr(0, eq), value = label.substr(eq + 1);
    if (key.ends_with("gitea-web.loadbalancer.server.port")) value = std::to_string(web);
    if (key.ends_with("gitea-ssh.loadbalancer.server.port")) value = std::to_string(ssh);
    if (value.find("${GITEA_TRAEFIK_HOST}") != std::string::npos) {
      value.replace(value.find("${GITEA_TRAEFIK_HOST}"), 21, "git.example.com");
    }
    args.insert(args.end(), {"--label", key + "=" + value});
  }
  args.insert(args.end(), {Dockerd::kImage, "sh", "-c",
                           "httpd -h /www -p 127.0.0.1:" + std::to_string(web) +
                               " && exec nc -ll -p " + std::to_string(ssh) + " -e cat"});
  d.docker(args);
  auto ctl = start_controller(dp.control_socket(), d);

  const auto log = dp.log();
  const std::string marker = "entrypoint=ssh address=127.0.0.1:";
  ASSERT_NE(log.find(marker), std::string::npos) << log;
  const auto ssh_port = std::stoi(log.substr(log.find(marker) + marker.size()));
  std::string echoed;
  for (auto end = std::chrono::steady_clock::now() + 20s;
       std::chrono::steady_clock::now() < end && echoed.empty();
       std::this_thread::sleep_for(100ms)) {
    // Sends the banner, half-closes, reads until the other side closes (2 s at most).
    auto r = run_command(
        {"python3", "-c",
         "import socket,sys\n"
         "s=socket.create_connection(('127.0.0.1'," +
             std::to_string(ssh_port) +
             "),timeout=2)\n"
             "s.sendall(b'SSH-2.0-OpenSSH_9.2\\r\\n');s.shutdown(socket.SHUT_WR);out=b''\n"
             "while True:\n  d=s.recv(4096)\n  if not d: break\n  out+=d\n"
             "sys.stdout.write(out.decode())\n"});
    if (r.out.starts_with("SSH-2.0")) echoed = r.out;
  }
  EXPECT_EQ(echoed, "SSH-2.0-OpenSSH_9.2\r\n") << ctl->log() << dp.log();
  const auto websecure_at = log.find("entrypoint=websecure address=127.0.0.1:");
  ASSERT_NE(websecure_at, std::string::npos);
  const auto https_port =
      log.substr(websecure_at + 39, log.find('\n', websecure_at) - websecure_at - 39);
  // The labels give the web router no TLS: it answers plain HTTP on websecure, as in Traefik.
  auto page = run_command({"curl", "-s", "--max-time", "5", "-H", "Host: git.example.com",
                           "http://127.0.0.1:" + https_port + "/"});
  EXPECT_NE(page.out.find("hello"), std::string::npos) << page.out;
}

}  // namespace
}  // namespace wharf::test
