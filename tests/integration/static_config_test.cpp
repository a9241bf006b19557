// One Traefik static configuration (traefik.yml) given to both processes with --configfile:
// the data plane takes its listeners from it, the controller everything else.

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
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

std::string fixture(const std::string& name, const std::map<std::string, std::string>& values) {
  std::ifstream in(std::string(WHARF_SOURCE_DIR) + "/tests/integration/fixtures/" + name);
  std::string text{std::istreambuf_iterator<char>(in), {}};
  for (const auto& [key, value] : values) {
    for (auto at = text.find(key); at != std::string::npos;
         at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

// Jellyfin's documented Traefik setup (its traefik.toml, traefik-provider.toml and the jellyfin
// container's labels, unchanged but for names and addresses) against a real dockerd: the
// container on the host network, its service in the TOML file provider, TLS on the "secure"
// entry point with the file's default TLS options (sniStrict), the headers middleware, the
// redirect of plain HTTP on that port, and the http → https entry point redirection.
TEST(StaticConfiguration, JellyfinsDocumentedSetupIsServedAsTraefikServesIt) {
  if (auto why = Dockerd::unavailable_reason(); !why.empty()) {
    if (std::getenv("WHARF_REQUIRE_DOCKER")) FAIL() << why;
    GTEST_SKIP() << why;
  }
  Dockerd d;
  TempDir dir;
  const auto port = free_port();
  const std::map<std::string, std::string> values{
      {"@DIR@", dir.path()},
      {"@DOCKER@", d.endpoint()},
      {"@JELLYFIN@", "127.0.0.1:" + std::to_string(port)},
      {"@PORT@", std::to_string(port)}};
  std::ofstream(dir.path() + "/traefik.toml") << fixture("jellyfin/traefik.toml", values);
  // The certificate its DNS-01 resolver would obtain (without its credentials here), made and
  // added to the file provider; with sniStrict, Traefik too refuses a name it has none for.
  auto made =
      run_command({"sh", "-c",
                   "cd " + dir.path() +
                       " && openssl req -x509 -newkey ec -pkeyopt "
                       "ec_paramgen_curve:P-384 -nodes -days 2 -subj /CN=jellyfin.test "
                       "-addext subjectAltName=DNS:jellyfin.test -keyout j.key -out j.crt"});
  ASSERT_EQ(made.status, 0) << made.out;
  std::ofstream(dir.path() + "/traefik-provider.toml")
      << fixture("jellyfin/traefik-provider.toml", values)
      << "\n[[tls.certificates]]\n  certFile = \"" << dir.path() << "/j.crt\"\n  keyFile = \""
      << dir.path() << "/j.key\"\n";
  std::vector<std::string> labels;
  std::istringstream lines(fixture("jellyfin/labels.txt", values));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') labels.push_back(line);
  }
  d.run_httpd("jellyfin", port, labels);

  const std::string socket = dir.path() + "/control.sock";
  const std::string config = dir.path() + "/traefik.toml";
  ChildProcess dp({WHARF_DATAPLANE_BINARY, "--configfile", config, "--control-socket", socket,
                   "--admin-address", "127.0.0.1:0"});
  const auto http = port_of(dp, "http"), https = port_of(dp, "https"),
             secure = port_of(dp, "secure");
  ASSERT_TRUE(http && https && secure) << dp.log();
  ASSERT_NE(dp.wait_for_log(" ready\n", 10s), std::string::npos) << dp.log();
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--configfile", config, "--control-socket", socket,
                    "--metrics-address", "127.0.0.1:0"});

  const std::string at_secure = "jellyfin.test:" + std::to_string(secure) + ":127.0.0.1";
  const std::string url = "https://jellyfin.test:" + std::to_string(secure) + "/";
  std::string page;
  for (auto end = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(100ms)) {
    page = curl({"-k", "-i", "--resolve", at_secure, url});
    if (page.find("hello") != std::string::npos) break;
  }
  EXPECT_NE(page.find(" 200"), std::string::npos) << page << ctl.log();
  EXPECT_NE(page.find("hello"), std::string::npos) << page;  // the busybox server's page
  EXPECT_NE(
      page.find("x-robots-tag: noindex,nofollow,nosnippet,noarchive,notranslate,noimageindex"),
      std::string::npos)
      << page;
  EXPECT_NE(page.find("strict-transport-security: max-age=315360000; includeSubDomains; preload"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("x-frame-options: 'allow-from https://test'"), std::string::npos) << page;
  EXPECT_NE(page.find("x-content-type-options: nosniff"), std::string::npos) << page;
  EXPECT_NE(page.find("x-xss-protection: 1"), std::string::npos) << page;

  // Plain HTTP on the same port: the jellyfin-insecure router's 302 to port 9999.
  auto insecure = curl(
      {"-i", "-H", "Host: jellyfin.test", "http://127.0.0.1:" + std::to_string(secure) + "/web/"});
  EXPECT_NE(insecure.find("HTTP/1.1 302"), std::string::npos) << insecure;
  EXPECT_NE(insecure.find("Location: https://jellyfin.test:9999/web/"), std::string::npos)
      << insecure;
  // The http entry point redirects everything to the https one.
  auto redirected =
      curl({"-i", "-H", "Host: jellyfin.test", "http://127.0.0.1:" + std::to_string(http) + "/"});
  EXPECT_NE(redirected.find("Location: https://jellyfin.test:" + std::to_string(https) + "/"),
            std::string::npos)
      << redirected;
  // sniStrict from the file's default TLS options: a client that names no server is refused.
  auto no_sni = run_command({"curl", "-sS", "-k", "--max-time", "5",
                             "https://127.0.0.1:" + std::to_string(secure) + "/"});
  EXPECT_NE(no_sni.status, 0) << no_sni.out;

  // What --check says of the same files: served, with the keys Wharf ignores as warnings.
  auto check = run_command({WHARF_CONTROLLER_BINARY, "--check", "--configfile", config});
  EXPECT_EQ(check.status, 0) << check.out;
  // Its DNS-01 resolver (rfc2136) lacks the credentials its .env file would hold: said, by
  // the variable's name; everything else is served.
  EXPECT_NE(check.out.find("certificate resolver leresolver: dnsChallenge provider rfc2136: "
                           "RFC2136_NAMESERVER is not set"),
            std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("OK: "), std::string::npos) << check.out;
}

// Immich's documented Traefik setup: its traefik.yaml (readTimeout and idleTimeout 0, so uploads
// are not cut) and the immich-server labels, against a real dockerd. A 64 MiB upload streams
// through to the server whole; the entry point has no limit on an upload that keeps moving.
TEST(StaticConfiguration, ImmichsDocumentedSetupIsServed) {
  if (auto why = Dockerd::unavailable_reason(); !why.empty()) {
    if (std::getenv("WHARF_REQUIRE_DOCKER")) FAIL() << why;
    GTEST_SKIP() << why;
  }
  Dockerd d;
  TempDir dir;
  UpstreamServer immich("immich");
  const std::map<std::string, std::string> values{{"@DOCKER@", d.endpoint()},
                                                  {"@PORT@", std::to_string(immich.port())}};
  const std::string config = dir.path() + "/traefik.yaml";
  std::ofstream(config) << fixture("immich/traefik.yaml", values);
  std::vector<std::string> labels;
  std::istringstream lines(fixture("immich/labels.txt", values));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') labels.push_back(line);
  }
  // The container runs (its own httpd elsewhere); the labels send traffic to the test's server
  // on 127.0.0.1, as host networking does.
  d.run_httpd("immich-server", free_port(), labels);

  const std::string socket = dir.path() + "/control.sock";
  ChildProcess dp({WHARF_DATAPLANE_BINARY, "--configfile", config, "--control-socket", socket,
                   "--admin-address", "127.0.0.1:0"});
  const auto websecure = port_of(dp, "websecure");
  ASSERT_TRUE(websecure) << dp.log();
  ASSERT_NE(dp.wait_for_log(" ready\n", 10s), std::string::npos) << dp.log();
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--configfile", config, "--control-socket", socket,
                    "--metrics-address", "127.0.0.1:0"});
  ASSERT_EQ(wait_for_host_status(websecure, "immich.your-domain.com", 200, 15'000), 200u)
      << ctl.log();
  auto upload = run_command({"sh", "-c",
                             "head -c 67108864 /dev/zero | curl -sS --max-time 60 -H 'Host: "
                             "immich.your-domain.com' --data-binary @- http://127.0.0.1:" +
                                 std::to_string(websecure) + "/upload"});
  EXPECT_EQ(upload.status, 0) << upload.out;
  EXPECT_NE(upload.out.find("received 67108864"), std::string::npos) << upload.out;
}

}  // namespace
}  // namespace wharf::test
