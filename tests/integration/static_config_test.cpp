// One Traefik static configuration (traefik.yml) given to both processes with --configfile:
// the data plane takes its listeners from it, the controller everything else.

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

std::uint16_t port_of(ChildProcess& dp, const std::string& entrypoint) {
  const std::string marker = "entrypoint=" + entrypoint + " address=127.0.0.1:";
  auto at = dp.wait_for_log(marker, 20s);
  if (at == std::string::npos) return 0;
  auto text = dp.log();
  return static_cast<std::uint16_t>(std::stoul(text.substr(at, 6)));
}

std::string curl(std::vector<std::string> args) {
  args.insert(args.begin(), {"curl", "-sS", "--max-time", "5"});
  return run_command(args).out;
}

// Entry points named as the user chose, a redirection, the TLS and middlewares of an entry point
// applied to every router on it, asDefault, forwarded headers trusted per entry point, and a
// servers transport for every service: as Traefik would serve the same files.
TEST(StaticConfiguration, BothProcessesServeATraefikYmlAsTraefikWould) {
  UpstreamServer app("app");
  TempDir dir;
  const std::string dynamic = dir.path() + "/dynamic.yml";
  std::ofstream(dynamic) << "http:\n"
                            "  middlewares:\n"
                            "    stamp:\n"
                            "      headers:\n"
                            "        customResponseHeaders:\n"
                            "          X-Entry: secure\n"
                            "  routers:\n"
                            "    app:\n"
                            "      rule: Host(`app.test`)\n"
                            "      service: app\n"
                            "    tools:\n"
                            "      rule: Host(`tools.test`)\n"
                            "      service: app\n"
                            "      entryPoints: [lan]\n"
                            "  services:\n"
                            "    app:\n"
                            "      loadBalancer:\n"
                            "        servers:\n"
                            "          - url: "
                         << app.url() << "\n";
  const std::string static_file = dir.path() + "/traefik.yml";
  std::ofstream(static_file) << "global:\n"
                                "  sendAnonymousUsage: false\n"
                                "entryPoints:\n"
                                "  http:\n"
                                "    address: 127.0.0.1:0\n"
                                "    http:\n"
                                "      redirections:\n"
                                "        entryPoint:\n"
                                "          to: https\n"
                                "          scheme: https\n"
                                "  https:\n"
                                "    address: 127.0.0.1:0\n"
                                "    asDefault: true\n"
                                "    forwardedHeaders:\n"
                                "      trustedIPs: [127.0.0.1/32]\n"
                                "    http:\n"
                                "      tls: {}\n"
                                "      middlewares: [stamp@file]\n"
                                "  lan:\n"
                                "    address: 127.0.0.1:0\n"
                                "providers:\n"
                                "  file:\n"
                                "    filename: "
                             << dynamic << "\n";
  const std::string socket = dir.path() + "/control.sock";
  ChildProcess dp({WHARF_DATAPLANE_BINARY, "--configfile", static_file, "--control-socket", socket,
                   "--admin-address", "127.0.0.1:0"});
  const auto http = port_of(dp, "http"), https = port_of(dp, "https"), lan = port_of(dp, "lan");
  ASSERT_TRUE(http && https && lan) << dp.log();
  ASSERT_NE(dp.wait_for_log(" ready\n", 10s), std::string::npos) << dp.log();
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--configfile", static_file, "--control-socket",
                    socket, "--metrics-address", "127.0.0.1:0"});
  EXPECT_NE(ctl.wait_for_log("global: ignored", 5s), std::string::npos) << ctl.log();
  ASSERT_EQ(wait_for_host_status(lan, "tools.test", 200, 10'000), 200u) << ctl.log();

  // http: every request is redirected to the https entry point's port.
  auto redirect =
      curl({"-i", "-H", "Host: app.test", "http://127.0.0.1:" + std::to_string(http) + "/a?b=c"});
  EXPECT_NE(redirect.find("HTTP/1.1 301"), std::string::npos) << redirect;
  EXPECT_NE(redirect.find("Location: https://app.test:" + std::to_string(https) + "/a?b=c"),
            std::string::npos)
      << redirect;

  // https: the router got the entry point's TLS (plain HTTP there finds no router) and its
  // middleware; the peer is trusted, so the client's X-Forwarded-For is kept.
  const std::string resolve = "app.test:" + std::to_string(https) + ":127.0.0.1";
  auto secure = curl({"-k", "-i", "--resolve", resolve, "-H", "X-Forwarded-For: 203.0.113.9",
                      "https://app.test:" + std::to_string(https) + "/echo"});
  EXPECT_NE(secure.find(" 200"), std::string::npos) << secure;
  EXPECT_NE(secure.find("x-entry: secure"), std::string::npos) << secure;
  EXPECT_NE(secure.find("X-Forwarded-For: 203.0.113.9, 127.0.0.1"), std::string::npos) << secure;
  EXPECT_EQ(host_status(https, "app.test"), 404u);

  // lan: not a default entry point (https is asDefault), no TLS, no middleware, and a
  // client's X-Forwarded-For is not believed there.
  EXPECT_EQ(host_status(lan, "app.test"), 404u);
  auto plain = curl({"-i", "-H", "Host: tools.test", "-H", "X-Forwarded-For: 203.0.113.9",
                     "http://127.0.0.1:" + std::to_string(lan) + "/echo"});
  EXPECT_NE(plain.find(" 200"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("x-entry"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("203.0.113.9"), std::string::npos) << plain;
  EXPECT_NE(plain.find("X-Forwarded-For: 127.0.0.1"), std::string::npos) << plain;
}

// What a static file names that Wharf does not take is a warning: --check passes, and fails
// only with --strict; a value Wharf cannot use stops the start with the file and line.
TEST(StaticConfiguration, CheckTellsWarningsFromErrors) {
  TempDir dir;
  const std::string file = dir.path() + "/traefik.toml";
  std::ofstream(file) << "[global]\n"
                         "  checkNewVersion = true\n"
                         "[entryPoints.web]\n"
                         "  address = \":80\"\n"
                         "[entryPoints.web.http3]\n"
                         "[providers.file]\n"
                         "  filename = \""
                      << dir.path() << "/dynamic.toml\"\n";
  std::ofstream(dir.path() + "/dynamic.toml")
      << "[http.routers.a]\n  rule = \"Host(`a.test`)\"\n  service = \"a\"\n"
         "  entryPoints = [\"web\", \"websecure\"]\n"
         "[[http.services.a.loadBalancer.servers]]\n  url = \"http://127.0.0.1:1\"\n";
  auto check = run_command({WHARF_CONTROLLER_BINARY, "--check", "--configfile", file});
  EXPECT_EQ(check.status, 0) << check.out;
  EXPECT_NE(check.out.find("traefik.toml:1: global: ignored: Wharf does not call home"),
            std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("traefik.toml:5: entryPoints.web.http3: ignored: HTTP/3"),
            std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("router a@file: dynamic.toml:1: entry point 'websecure' does not "
                           "exist (the static configuration has web)"),
            std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("OK: 1 routers served, 0 objects rejected, 3 warnings"),
            std::string::npos)
      << check.out;
  auto strict = run_command({WHARF_CONTROLLER_BINARY, "--check", "--strict", "--configfile", file});
  EXPECT_EQ(strict.status, 1) << strict.out;

  std::ofstream(file) << "[entryPoints.web]\n  address = \":80\"\n"
                         "  [entryPoints.web.transport.respondingTimeouts]\n"
                         "    readTimeout = \"soon\"\n";
  auto bad = run_command({WHARF_CONTROLLER_BINARY, "--check", "--configfile", file});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find(file + ":4: entryPoints.web.transport.respondingTimeouts.readTimeout: "
                                "expected a duration such as 60s, 1m30s or 500ms, not 'soon'"),
            std::string::npos)
      << bad.out;
}

}  // namespace
}  // namespace wharf::test
