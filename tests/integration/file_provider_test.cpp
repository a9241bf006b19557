// wharf-controller with the file provider, pushing to the real data plane binary.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/eventually.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

unsigned status_of(std::uint16_t port, const std::string& host) {
  return host_status(port, host);
}

// Whether `host` gets `want` from the data plane within 10 s.
bool answers(std::uint16_t port, const std::string& host, unsigned want) {
  return wait_for_host_status(port, host, want, 10'000) == want;
}

// Replaces the file the way editors and ConfigMap updates do: write aside, then rename.
void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path + ".tmp") << text;
  std::rename((path + ".tmp").c_str(), path.c_str());
}

std::string config(const std::string& url, const std::vector<std::string>& hosts) {
  std::string out = "http:\n  routers:\n";
  for (const auto& h : hosts) {
    out += "    " + h + ":\n      rule: Host(`" + h + ".test`)\n      service: app\n";
  }
  out += "  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: " + url +
         "\n";
  return out;
}

// tls.certificates from files, and a router with `tls: {}`: HTTPS with that certificate on the
// same port as plain HTTP, which that router does not serve.
TEST(FileProviderEndToEnd, TlsCertificateFilesServeATlsRouter) {
  UpstreamServer app("app");
  DataplaneProcess dp;
  TempDir dir;
  auto made = run_command({"sh", "-c",
                           "cd " + dir.path() +
                               " && openssl req -x509 -newkey ec -pkeyopt "
                               "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=secure.test "
                               "-addext subjectAltName=DNS:secure.test -keyout k.pem -out c.pem"});
  ASSERT_EQ(made.status, 0) << made.out;
  const std::string file = dir.path() + "/dynamic.yml";
  write_file(file, "tls:\n  certificates:\n    - certFile: " + dir.path() +
                       "/c.pem\n      keyFile: " + dir.path() +
                       "/k.pem\nhttp:\n  routers:\n    secure:\n      rule: Host(`secure.test`)\n"
                       "      service: app\n      tls: {}\n  services:\n    app:\n"
                       "      loadBalancer:\n        servers:\n          - url: " +
                       app.url() + "\n");
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", dp.control_socket(), "--file",
                    file, "--docker-endpoint", "off", "--metrics-address", "127.0.0.1:0"});
  const std::string port = std::to_string(dp.port());
  std::string out;
  for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(50ms)) {
    out = run_command({"curl", "-sS", "-k", "-v", "--resolve", "secure.test:" + port + ":127.0.0.1",
                       "https://secure.test:" + port + "/"})
              .out;
    // A connection whose handshake came before the table did gets the default certificate
    // and then the new routes; wait for one made after.
    if (out.find("< HTTP/2 200") != std::string::npos &&
        out.find("subject: CN=secure.test") != std::string::npos) {
      break;
    }
  }
  EXPECT_NE(out.find("< HTTP/2 200"), std::string::npos) << out << ctl.log();  // ALPN h2
  EXPECT_NE(out.find("subject: CN=secure.test"), std::string::npos) << out;
  EXPECT_EQ(status_of(dp.port(), "secure.test"), 404u);  // a TLS router serves TLS only
}

TEST(FileProviderEndToEnd, ChangesAreAppliedAndABrokenFileKeepsTheLastGoodOne) {
  UpstreamServer app;
  DataplaneProcess dp;
  TempDir dir;
  const std::string file = dir.path() + "/dynamic.yml";
  write_file(file, config(app.url(), {"one"}));
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", dp.control_socket(), "--file",
                    file, "--docker-endpoint", "off", "--metrics-address", "127.0.0.1:0"});
  EXPECT_TRUE(answers(dp.port(), "one.test", 200)) << ctl.log();

  write_file(file, config(app.url(), {"one", "two"}));
  EXPECT_TRUE(answers(dp.port(), "two.test", 200)) << ctl.log();

  auto before = ctl.log().size();
  write_file(file, "http:\n  routers:\n    three: {rule: Host(`three.test`)\n");
  EXPECT_NE(ctl.wait_for_log("file: dynamic.yml:4:1: ", 5s, before), std::string::npos)
      << ctl.log();
  EXPECT_NE(ctl.wait_for_log("keeping the previous configuration", 1s, before), std::string::npos);
  EXPECT_EQ(status_of(dp.port(), "one.test"), 200u);
  EXPECT_EQ(status_of(dp.port(), "two.test"), 200u);

  // A bad router in a valid file: only that router is out.
  before = ctl.log().size();
  write_file(file,
             config(app.url(), {"one"}) +
                 "    bad:\n      loadBalancer:\n        servers:\n          - url: ftp://x\n");
  EXPECT_TRUE(answers(dp.port(), "two.test", 404));
  EXPECT_EQ(status_of(dp.port(), "one.test"), 200u);
}

// providers.file.directory: every YAML and TOML file under it, subdirectories included, each
// watched; a broken file keeps its own last good configuration while the others change.
TEST(FileProviderEndToEnd, ADirectoryOfYamlAndTomlFilesIsOneConfiguration) {
  UpstreamServer app;
  DataplaneProcess dp;
  TempDir dir;
  ASSERT_EQ(::mkdir((dir.path() + "/apps").c_str(), 0700), 0);
  write_file(dir.path() + "/services.yml",
             "http:\n  services:\n    app:\n      loadBalancer:\n        servers:\n"
             "          - url: " +
                 app.url() + "\n");
  write_file(dir.path() + "/apps/one.toml",
             "[http.routers.one]\nrule = \"Host(`one.test`)\"\nservice = \"app\"\n");
  write_file(dir.path() + "/notes.txt", "not configuration");
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", dp.control_socket(), "--file",
                    dir.path(), "--docker-endpoint", "off", "--metrics-address", "127.0.0.1:0"});
  EXPECT_TRUE(answers(dp.port(), "one.test", 200)) << ctl.log();

  // A new file in the subdirectory, then one in a subdirectory made after the start.
  write_file(dir.path() + "/apps/two.yaml",
             "http:\n  routers:\n    two:\n      rule: Host(`two.test`)\n      service: app\n");
  EXPECT_TRUE(answers(dp.port(), "two.test", 200)) << ctl.log();
  ASSERT_EQ(::mkdir((dir.path() + "/later").c_str(), 0700), 0);
  write_file(dir.path() + "/later/three.toml",
             "[http.routers.three]\nrule = \"Host(`three.test`)\"\nservice = \"app\"\n");
  EXPECT_TRUE(answers(dp.port(), "three.test", 200)) << ctl.log();

  auto before = ctl.log().size();
  write_file(dir.path() + "/apps/one.toml", "[http.routers.one\n");
  EXPECT_NE(ctl.wait_for_log("file: apps/one.toml:1:", 5s, before), std::string::npos) << ctl.log();
  EXPECT_EQ(status_of(dp.port(), "one.test"), 200u);
  ::unlink((dir.path() + "/apps/two.yaml").c_str());
  EXPECT_TRUE(answers(dp.port(), "two.test", 404)) << ctl.log();
  EXPECT_EQ(status_of(dp.port(), "one.test"), 200u);
  EXPECT_EQ(status_of(dp.port(), "three.test"), 200u);
}

// The controller's /metrics, /healthz and /readyz, and promtool's verdict on the exposition.
TEST(FileProviderEndToEnd, ControllerMetricsAndHealth) {
  UpstreamServer app;
  DataplaneProcess dp;
  TempDir dir;
  const std::string file = dir.path() + "/dynamic.yml";
  write_file(file, config(app.url(), {"one", "two"}) +
                       "  middlewares:\n    bad:\n      headers:\n        stsSeconds: -1\n");
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", dp.control_socket(), "--file",
                    file, "--docker-endpoint", "off", "--metrics-address", "127.0.0.1:0"});
  auto at = ctl.wait_for_log("metrics address=127.0.0.1:", 10s);
  ASSERT_NE(at, std::string::npos) << ctl.log();
  const auto port = static_cast<std::uint16_t>(std::stoul(ctl.log().substr(at, 6)));
  EXPECT_TRUE(answers(dp.port(), "two.test", 200)) << ctl.log();
  EXPECT_EQ(HttpClient(port).request("GET", "/healthz").status, 200u);
  EXPECT_EQ(HttpClient(port).request("GET", "/readyz").status, 200u);
  const std::vector<std::string> lines = {
      "wharf_controller_provider_synced{provider=\"file\"} 1",
      "wharf_controller_pushes_total{result=\"ack\"} 1",
      "wharf_controller_table_objects{kind=\"routers\"} 2",
      "wharf_controller_rejected_objects{kind=\"middleware\"} 1",
      "wharf_controller_rejected_objects_total{kind=\"middleware\"} 1"};
  // The data plane serves the table a moment before the controller has read its ack.
  std::string text;
  eventually(
      [&] {
        text = HttpClient(port).request("GET", "/metrics").body;
        for (const auto& line : lines) {
          if (text.find(line) == std::string::npos) return false;
        }
        return true;
      },
      5s);
  for (const auto& line : lines) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  std::ofstream(dir.path() + "/metrics.txt") << text;
  auto check = run_command({"sh", "-c", "promtool check metrics < " + dir.path() + "/metrics.txt"});
  EXPECT_EQ(check.status, 0) << check.out;
}

// The publisher notices a data plane going away even when it has nothing new to send, and
// gives the replacement the latest table (here one started with an empty state directory).
TEST(FileProviderEndToEnd, ReplacementDataPlaneGetsTheLatestTableWithoutAnyChange) {
  UpstreamServer app;
  TempDir dir;
  const std::string file = dir.path() + "/dynamic.yml", socket = dir.path() + "/control.sock";
  write_file(file, config(app.url(), {"one"}));
  auto dp =
      std::make_unique<DataplaneProcess>(std::vector<std::string>{}, dir.path() + "/s1", socket);
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--control-socket", socket, "--file", file,
                    "--docker-endpoint", "off", "--metrics-address", "127.0.0.1:0"});
  EXPECT_TRUE(answers(dp->port(), "one.test", 200)) << ctl.log();
  dp.reset();  // SIGKILL
  dp = std::make_unique<DataplaneProcess>(std::vector<std::string>{}, dir.path() + "/s2", socket);
  EXPECT_TRUE(answers(dp->port(), "one.test", 200)) << ctl.log();
}

TEST(FileProviderEndToEnd, CheckPrintsTheTableAndFailsOnRejectedObjects) {
  TempDir dir;
  const std::string file = dir.path() + "/dynamic.yml";
  write_file(file, config("http://127.0.0.1:9", {"ok"}) +
                       "    broken:\n      loadBalancer:\n        servers: nope\n");
  ChildProcess bad(
      {WHARF_CONTROLLER_BINARY, "--check", "--file", file, "--docker-endpoint", "off"});
  EXPECT_EQ(bad.stop(0, 10s), 1);
  write_file(file, config("http://127.0.0.1:9", {"ok"}));
  ChildProcess good(
      {WHARF_CONTROLLER_BINARY, "--check", "--file", file, "--docker-endpoint", "off"});
  EXPECT_EQ(good.stop(0, 10s), 0);
  // The example the run command serves stays valid.
  ChildProcess shipped({WHARF_CONTROLLER_BINARY, "--check", "--file",
                        std::string(WHARF_SOURCE_DIR) + "/deploy/dynamic.yml", "--docker-endpoint",
                        "off"});
  EXPECT_EQ(shipped.stop(0, 10s), 0) << shipped.log();
}

}  // namespace
}  // namespace wharf::test
