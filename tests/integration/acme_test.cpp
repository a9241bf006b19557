// ACME end to end: Debian's Pebble (a test CA speaking RFC 8555) validates real HTTP-01 and
// TLS-ALPN-01 challenges against the data plane, its DNS pointed at 127.0.0.1 by
// pebble-challtestsrv; the controller obtains, stores, serves and renews the certificates.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/eventually.hpp"
#include "test_common/kube_api_fixture.hpp"
#include "test_common/named_server.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

CommandResult sh(const std::string& dir, const std::string& cmd) {
  return run_command({"sh", "-c", "cd " + dir + " && " + cmd});
}

// Pebble and its DNS, the data plane, an app behind it and a test CA for Pebble's own HTTPS.
class Acme : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/pebble"))
        << "Debian's pebble is needed (scripts/test.sh installs it)";
    auto made = sh(dir.path(),
                   "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
                   " -subj /CN=test-ca -keyout ca.key -out ca.crt 2>/dev/null"
                   " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
                   " -subj /CN=localhost -keyout pebble.key -out pebble.csr 2>/dev/null"
                   " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext"
                   " && openssl x509 -req -in pebble.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
                   " -days 2 -extfile ext -out pebble.crt 2>/dev/null");
    ASSERT_EQ(made.status, 0) << made.out;
    // The ports are found free and then bound by the children, so another test running beside
    // this one may take one in between. Pebble logs its directory before it binds, so that log
    // line alone does not prove it has its port: under the parallel sanitizer pass the
    // controller once met a server without TLS on Pebble's port. A child that lost a port is
    // not running, or Pebble's directory does not answer over TLS with the test CA: both then
    // start again on new ports.
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (start_pebble()) return;
    }
    FAIL() << "Pebble did not start on free ports in 3 tries:\n" << pebble->log() << dns->log();
  }

  bool start_pebble() {
    dns_port = free_port();
    // Pebble looks names up at pebble-challtestsrv, or at BIND for the DNS-01 tests (its
    // validation reads the TXT records the controller put there).
    const std::string dns_server =
        named ? named->address() : "127.0.0.1:" + std::to_string(dns_port);
    dns_management_port = free_port();
    pebble_port = free_port();
    management_port = free_port();
    dns = std::make_unique<ChildProcess>(std::vector<std::string>{
        "pebble-challtestsrv", "-dns01", "127.0.0.1:" + std::to_string(dns_port), "-http01", "",
        "-https01", "", "-tlsalpn01", "", "-management",
        "127.0.0.1:" + std::to_string(dns_management_port), "-defaultIPv4", "127.0.0.1",
        "-defaultIPv6", ""});
    // Validation requests go to the data plane's one port, for both challenge types.
    std::ofstream(dir.path() + "/pebble.json")
        << R"({"pebble": {"listenAddress": "127.0.0.1:)" << pebble_port
        << R"(", "managementListenAddress": "127.0.0.1:)" << management_port
        << R"(", "certificate": ")" << dir.path() << R"(/pebble.crt", "privateKey": ")"
        << dir.path() << R"(/pebble.key", "httpPort": )" << dp.port() << R"(, "tlsPort": )"
        << dp.port() << R"(, "ocspResponderURL": "",
            "externalAccountBindingRequired": false}})";
    // Pebble logs to stdout; the harness collects stderr.
    pebble = std::make_unique<ChildProcess>(
        std::vector<std::string>{"sh", "-c",
                                 "exec pebble -config " + dir.path() + "/pebble.json -dnsserver " +
                                     dns_server + " 1>&2"},
        std::vector<std::string>{"PEBBLE_VA_NOSLEEP=1"});
    if (pebble->wait_for_log("ACME directory available", 20s) == std::string::npos) return false;
    for (int i = 0; i < 50 && pebble->running() && dns->running(); ++i) {
      auto dir_answer = run_command({"curl", "-sf", "--max-time", "2", "-o", "/dev/null",
                                     "--cacert", dir.path() + "/ca.crt",
                                     "https://127.0.0.1:" + std::to_string(pebble_port) + "/dir"});
      if (dir_answer.status == 0) return dns->running();
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // `store`: the resolvers' storage option (a directory by default); `extra`: more flags.
  std::unique_ptr<ChildProcess> controller(const std::string& routes, std::string store = {},
                                           const std::vector<std::string>& extra = {},
                                           const std::vector<std::string>& env = {}) {
    if (store.empty()) store = storage();
    std::ofstream(dir.path() + "/dynamic.yml") << routes;
    const std::string ca = "https://127.0.0.1:" + std::to_string(pebble_port) + "/dir";
    std::vector<std::string> argv = {WHARF_CONTROLLER_BINARY,
                                     "--control-socket",
                                     dp.control_socket(),
                                     "--file",
                                     dir.path() + "/dynamic.yml",
                                     "--docker-endpoint",
                                     "off",
                                     "--metrics-address",
                                     "127.0.0.1:0",
                                     "--acme-ca-certificates",
                                     dir.path() + "/ca.crt"};
    for (const char* r : {"le", "alpn"}) {
      const std::string p = std::string("--certificatesresolvers.") + r + ".acme.";
      argv.push_back(p + "caserver=" + ca);
      argv.push_back(p + "email=ops@example.com");
      argv.push_back(p + "storage=" + store);
    }
    argv.push_back("--certificatesresolvers.le.acme.httpchallenge.entrypoint=web");
    argv.push_back("--certificatesresolvers.alpn.acme.tlschallenge=true");
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv, env);
  }

  std::string storage() const { return dir.path() + "/acme"; }

  // Stores, as resolver `resolver` would have, a certificate for `domains` from the test CA
  // that began `started_min_ago` minutes ago and ends in `ends_in_min`.
  void plant(const std::string& resolver, const std::vector<std::string>& domains,
             int started_min_ago, int ends_in_min) {
    auto stamp = [](int minutes) {
      std::time_t t = std::time(nullptr) + minutes * 60;
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[20];
      std::strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", &tm);
      return std::string(buf);
    };
    std::string file = domains.front(), sans, list;
    for (auto& c : file) c = c == '*' ? '_' : c;  // As the resolver names its files.
    for (const auto& d : domains) {
      sans += (sans.empty() ? "DNS:" : ",DNS:") + d;
      list += (list.empty() ? "" : ",") + d;
    }
    std::filesystem::create_directories(storage() + "/" + resolver + "/certs");
    const std::string base = storage() + "/" + resolver + "/certs/" + file;
    const std::string ca = "ca-" + file;
    auto r =
        sh(dir.path(),
           "mkdir -p " + ca + "/db && touch " + ca + "/db/index && echo 01 > " + ca +
               "/db/serial && printf '[ca]\\ndefault_ca=d\\n[d]\\ndir=" + ca +
               "\\ndatabase=$dir/db/index\\nserial=$dir/db/serial\\nnew_certs_dir=$dir\\n"
               "default_md=sha256\\npolicy=p\\ncopy_extensions=copy\\n[p]\\ncommonName=supplied\\n'"
               " > " +
               ca +
               ".cnf"
               " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" +
               file + " -addext subjectAltName=" + sans + " -keyout " + base + ".key -out " + file +
               ".csr 2>/dev/null && openssl ca -batch -config " + ca +
               ".cnf -cert ca.crt"
               " -keyfile ca.key -in " +
               file + ".csr -out " + base + ".crt -startdate " + stamp(-started_min_ago) +
               " -enddate " + stamp(ends_in_min) + " 2>&1 && printf '" + list + "' > " + base +
               ".domains");
    ASSERT_EQ(r.status, 0) << r.out;
  }

  // The issuer of the certificate the data plane serves for `name`.
  std::string issuer(const std::string& name) {
    auto r =
        run_command({"sh", "-c",
                     "echo | openssl s_client -connect 127.0.0.1:" + std::to_string(dp.port()) +
                         " -servername " + name + " 2>/dev/null | openssl x509 -noout -issuer"});
    return r.out;
  }
  bool eventually_issued_by(const std::string& name, const std::string& who, ChildProcess& ctl) {
    return eventually([&] { return contains(issuer(name), who) || !ctl.running(); }, 30s, 100ms) &&
           contains(issuer(name), who);
  }

  TempDir dir;
  UpstreamServer app{"app"};
  DataplaneProcess dp;
  std::uint16_t dns_port = 0, dns_management_port = 0, pebble_port = 0, management_port = 0;
  std::unique_ptr<ChildProcess> dns, pebble;
  std::unique_ptr<NamedServer> named;  // Set before SetUp by the DNS-01 tests.
};

// The DNS-01 tests: BIND serves home.example, takes the controller's signed updates, and is
// the DNS Pebble validates against.
class AcmeDns01 : public Acme {
 protected:
  void SetUp() override {
    named = std::make_unique<NamedServer>();
    Acme::SetUp();
  }
  // A controller with resolver "dns": rfc2136 to BIND (or `provider` with `env`), propagation
  // checked there.
  std::unique_ptr<ChildProcess> dns_controller(const std::string& routes,
                                               const std::string& provider = "rfc2136",
                                               std::vector<std::string> env = {}) {
    const std::string ca = "https://127.0.0.1:" + std::to_string(pebble_port) + "/dir";
    const std::string p = "--certificatesresolvers.dns.acme.";
    std::vector<std::string> flags = {
        p + "caserver=" + ca, p + "email=ops@example.com", p + "storage=" + storage(),
        p + "dnschallenge.provider=" + provider, p + "dnschallenge.resolvers=" + named->address()};
    // BIND's NS record says port 53, where only AcmeDns01Authoritative has a server.
    if (!check_authoritative) flags.push_back(p + "dnschallenge.propagation.disableanschecks=true");
    if (env.empty()) {
      env = {"RFC2136_NAMESERVER=" + named->address(),
             std::string("RFC2136_TSIG_KEY=") + NamedServer::kKeyName,
             std::string("RFC2136_TSIG_SECRET=") + NamedServer::kKeySecret,
             "RFC2136_TSIG_ALGORITHM=hmac-sha256."};
    }
    return controller(routes, {}, flags, env);
  }
  // The data plane's admin API answer for `target`.
  std::string admin(const std::string& target) {
    return HttpClient(dp.admin_port()).request("GET", target).body;
  }
  bool check_authoritative = false;
};

// The propagation check as lego makes it unless told otherwise: the zone's nameservers, found
// by SOA and NS lookups, must each serve the record. The NS record names a loopback address of
// its own, where tests/peers/dns_relay.py answers on port 53 for BIND (port 53: root only).
class AcmeDns01Authoritative : public AcmeDns01 {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "a nameserver on port 53 needs root";
    std::random_device rd;
    ns_address = "127.53." + std::to_string(rd() % 250 + 1) + "." + std::to_string(rd() % 250 + 1);
    named = std::make_unique<NamedServer>(false, ns_address);
    check_authoritative = true;
    Acme::SetUp();
  }
  std::string ns_address;
};

std::string routes(const std::string& url) {
  return "http:\n  routers:\n"
         "    app:\n      rule: Host(`app.acme.test`)\n      service: app\n"
         "    app-secure:\n      rule: Host(`app.acme.test`)\n      service: app\n"
         "      tls: {certResolver: le}\n"
         "    alpn-secure:\n      rule: Host(`alpn.acme.test`)\n      service: app\n"
         "      tls: {certResolver: alpn}\n"
         "    multi:\n      rule: Host(`multi.acme.test`) || Host(`www.multi.acme.test`)\n"
         "      service: app\n"
         "      tls:\n        certResolver: le\n        domains:\n"
         "          - main: multi.acme.test\n            sans: [www.multi.acme.test]\n"
         "    immich:\n      rule: PathPrefix(`/.well-known/immich`)\n      service: app\n"
         "  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: " +
         url + "\n";
}

TEST_F(Acme, Http01AndTlsAlpn01CertificatesAreObtainedStoredAndServed) {
  auto ctl = controller(routes(app.url()));
  ASSERT_TRUE(eventually_issued_by("app.acme.test", "Pebble", *ctl)) << ctl->log() << pebble->log();
  ASSERT_TRUE(eventually_issued_by("alpn.acme.test", "Pebble", *ctl)) << ctl->log();
  // tls.domains: one certificate for a main name and its SANs.
  ASSERT_TRUE(eventually_issued_by("www.multi.acme.test", "Pebble", *ctl)) << ctl->log();
  EXPECT_TRUE(contains(issuer("multi.acme.test"), "Pebble"));

  // A real client trusting Pebble's root gets through on the name.
  auto root = run_command({"curl", "-sf", "--cacert", dir.path() + "/ca.crt",
                           "https://127.0.0.1:" + std::to_string(management_port) + "/roots/0"});
  ASSERT_EQ(root.status, 0) << root.out;
  std::ofstream(dir.path() + "/pebble-root.pem") << root.out;
  const std::string port = std::to_string(dp.port());
  auto got = run_command({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                          dir.path() + "/pebble-root.pem", "--resolve",
                          "app.acme.test:" + port + ":127.0.0.1",
                          "https://app.acme.test:" + port + "/hello"});
  EXPECT_EQ(got.out, "200") << got.out;

  // Stored mode 0600, account included; the validation answers are gone from the table.
  for (const char* f : {"/le/account.key", "/le/certs/app.acme.test.key",
                        "/le/certs/app.acme.test.crt", "/alpn/certs/alpn.acme.test.key"}) {
    struct stat st {};
    ASSERT_EQ(::stat((storage() + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  // Other paths under /.well-known/ still reach the app (Immich's, say).
  EXPECT_EQ(HttpClient(dp.port()).request("GET", "/.well-known/immich", {{"Host", "x"}}).status,
            200u);
  // The key never reaches a log line.
  auto key = read_file(storage() + "/le/certs/app.acme.test.key");
  auto body = key.substr(key.find('\n') + 1, 40);
  EXPECT_FALSE(contains(ctl->log(), body));
  EXPECT_FALSE(contains(dp.log(), body));

  // Counted for Prometheus, per resolver.
  auto at = ctl->wait_for_log("metrics address=127.0.0.1:", 1s);
  ASSERT_NE(at, std::string::npos) << ctl->log();
  const auto metrics_port = static_cast<std::uint16_t>(std::stoul(ctl->log().substr(at, 6)));
  auto text = HttpClient(metrics_port).request("GET", "/metrics").body;
  EXPECT_TRUE(contains(text, "wharf_controller_acme_certificates_total{resolver=\"le\"} 2"))
      << text;
  EXPECT_TRUE(contains(text, "wharf_controller_acme_certificates_total{resolver=\"alpn\"} 1"));

  // A restart finds the stored certificates and asks for nothing.
  ctl->stop(SIGTERM);
  auto again = controller(routes(app.url()));
  ASSERT_NE(again->wait_for_log("3 stored certificate(s) loaded", 10s), std::string::npos)
      << again->log();
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(contains(again->log(), "requesting a certificate")) << again->log();
}

TEST_F(Acme, ACertificatePastTwoThirdsOfItsLifeIsRenewed) {
  // Two stored certificates from a test CA: one 25 minutes into a 30-minute life (due), one a
  // minute into an hour (not due).
  plant("le", {"renew.acme.test"}, 25, 5);
  plant("le", {"fresh.acme.test"}, 1, 59);
  auto ctl = controller(
      "http:\n  routers:\n"
      "    renew:\n      rule: Host(`renew.acme.test`)\n      service: app\n"
      "      tls: {certResolver: le}\n"
      "    fresh:\n      rule: Host(`fresh.acme.test`)\n      service: app\n"
      "      tls: {certResolver: le}\n"
      "  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: " +
      app.url() + "\n");
  ASSERT_NE(ctl->wait_for_log("2 stored certificate(s) loaded", 10s), std::string::npos)
      << ctl->log();
  EXPECT_TRUE(eventually_issued_by("renew.acme.test", "Pebble", *ctl)) << ctl->log();
  EXPECT_TRUE(contains(issuer("fresh.acme.test"), "test-ca")) << ctl->log();
  EXPECT_FALSE(contains(ctl->log(), "fresh.acme.test: requesting")) << ctl->log();
}

TEST_F(Acme, AFailedValidationIsReportedWithTheCasReasonAndRetriedLater) {
  // The name resolves, for Pebble, to an address nothing listens on.
  auto set =
      run_command({"curl", "-sf", "-d", R"({"host":"gone.acme.test.","addresses":["127.0.0.2"]})",
                   "http://127.0.0.1:" + std::to_string(dns_management_port) + "/add-a"});
  ASSERT_EQ(set.status, 0) << set.out << dns->log();
  auto ctl = controller(
      "http:\n  routers:\n"
      "    gone:\n      rule: Host(`gone.acme.test`)\n      service: app\n"
      "      tls: {certResolver: le}\n"
      "  services:\n    app:\n      loadBalancer:\n        servers:\n"
      "          - url: " +
      app.url() + "\n");
  auto at = ctl->wait_for_log("next try in 60 s", 60s);
  ASSERT_NE(at, std::string::npos) << ctl->log();
  // The line names the resolver, the name, the challenge and what the CA saw.
  auto log = ctl->log();
  const auto start = log.rfind('\n', at - 1) + 1;  // `at` is just past the text, at the '\n'.
  auto line = log.substr(start, at - start);
  EXPECT_TRUE(contains(line, "acme resolver le: gone.acme.test: gone.acme.test: http-01 invalid: "))
      << line;
  EXPECT_TRUE(contains(line, "127.0.0.2")) << line;
  auto m = ctl->wait_for_log("metrics address=127.0.0.1:", 1s);
  ASSERT_NE(m, std::string::npos) << ctl->log();
  auto text = HttpClient(static_cast<std::uint16_t>(std::stoul(ctl->log().substr(m, 6))))
                  .request("GET", "/metrics")
                  .body;
  EXPECT_TRUE(contains(text, "wharf_controller_acme_failures_total{resolver=\"le\"} 1")) << text;
  // The router is served all the same, with the default certificate.
  EXPECT_TRUE(ctl->running());
  EXPECT_TRUE(contains(issuer("gone.acme.test"), "WHARF DEFAULT CERT")) << issuer("gone.acme.test");
}

// In Kubernetes the pod's disk is gone with the pod: both resolvers keep everything in one
// Secret instead, and a new controller serves what the Secret holds without asking the CA.
TEST_F(Acme, CertificatesKeptInAKubernetesSecretOutliveTheController) {
  KubeApiFixture api;
  const std::vector<std::string> kube = {"--kubeconfig", api.write_kubeconfig(dir.path()),
                                         "--leader-elect-resource-namespace", "wharf"};
  auto ctl = controller(routes(app.url()), "secret:wharf/wharf-acme", kube);
  ASSERT_TRUE(eventually_issued_by("app.acme.test", "Pebble", *ctl)) << ctl->log();
  ASSERT_TRUE(eventually_issued_by("alpn.acme.test", "Pebble", *ctl)) << ctl->log();
  ASSERT_TRUE(eventually_issued_by("www.multi.acme.test", "Pebble", *ctl)) << ctl->log();
  EXPECT_FALSE(std::filesystem::exists(storage()));

  auto secret = api.get("Secret", "wharf", "wharf-acme");
  ASSERT_TRUE(secret);
  for (const char* key :
       {"\"le.account.key\"", "\"le.certs.app.acme.test.crt\"", "\"le.certs.app.acme.test.key\"",
        "\"le.certs.multi.acme.test.domains\"", "\"alpn.account.key\"",
        "\"alpn.certs.alpn.acme.test.key\"", "\"type\":\"Opaque\""}) {
    EXPECT_TRUE(contains(*secret, key)) << key << " in " << *secret;
  }
  // One write per certificate (its files together) after the Secret's creation.
  std::size_t patches = 0, creates = 0;
  for (const auto& r : api.requests()) {
    if (r.starts_with("PATCH /api/v1/namespaces/wharf/secrets/wharf-acme")) ++patches;
    if (r.starts_with("POST /api/v1/namespaces/wharf/secrets")) ++creates;
  }
  EXPECT_EQ(creates, 1u);
  EXPECT_EQ(patches, 5u);  // Five saves: two account keys, three certificates (the first 404s).

  ctl->stop(SIGTERM);
  auto again = controller(routes(app.url()), "secret:wharf/wharf-acme", kube);
  ASSERT_NE(again->wait_for_log("3 stored certificate(s) loaded", 10s), std::string::npos)
      << again->log();
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(contains(again->log(), "requesting a certificate")) << again->log();
  EXPECT_TRUE(contains(issuer("app.acme.test"), "Pebble"));
}

// A Secret that cannot be read is not a reason to ask the CA for everything again (rate
// limits): the routers are served with the default certificate and the read is retried.
TEST_F(Acme, AnUnreadableSecretIsReportedAndNothingIsRequested) {
  KubeApiFixture api;
  api.apply(R"({"apiVersion":"v1","kind":"Secret","type":"Opaque",)"
            R"("metadata":{"name":"wharf-acme","namespace":"wharf"},)"
            R"("data":{"le.account.key":"not base64!"}})");
  auto ctl = controller(routes(app.url()), "secret:wharf/wharf-acme",
                        {"--kubeconfig", api.write_kubeconfig(dir.path())});
  ASSERT_NE(ctl->wait_for_log("next try in 5 s", 10s), std::string::npos) << ctl->log();
  EXPECT_TRUE(contains(ctl->log(),
                       "acme resolver le: secret wharf/wharf-acme: data[le.account.key] is not "
                       "base64; no certificate is requested until it can be read"))
      << ctl->log();
  EXPECT_TRUE(contains(issuer("app.acme.test"), "WHARF DEFAULT CERT"));
  EXPECT_FALSE(contains(ctl->log(), "requesting a certificate"));
  // Mended, it is read at the next try and certificates follow.
  api.apply(R"({"apiVersion":"v1","kind":"Secret","type":"Opaque",)"
            R"("metadata":{"name":"wharf-acme","namespace":"wharf"},"data":{}})");
  EXPECT_TRUE(eventually_issued_by("app.acme.test", "Pebble", *ctl)) << ctl->log();
}

// A peer script of tests/peers (a DNS hook, an API stand-in) and the port it listens on.
struct Peer {
  std::unique_ptr<ChildProcess> process;
  std::string url;  // http://127.0.0.1:PORT
};
Peer start_peer(const std::string& script, std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/python3", std::string(WHARF_PEERS_DIR) + "/" + script});
  Peer p{std::make_unique<ChildProcess>(args), {}};
  const auto at = p.process->wait_for_log("port ", 20s);
  EXPECT_NE(at, std::string::npos) << p.process->log();
  if (at != std::string::npos) {
    p.url = "http://127.0.0.1:" + std::to_string(std::stoi(p.process->log().substr(at)));
  }
  return p;
}

// A router wanting one certificate for *.home.example and home.example from resolver "dns".
std::string wildcard_routes(const std::string& url) {
  return "http:\n  routers:\n"
         "    wild:\n      rule: HostRegexp(`^.+\\.home\\.example$`) || Host(`home.example`)\n"
         "      service: app\n"
         "      tls:\n        certResolver: dns\n        domains:\n"
         "          - main: \"*.home.example\"\n            sans: [home.example]\n"
         "  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: " +
         url + "\n";
}

// A wildcard and its apex in one order, each authorization validated through a TXT record
// the controller put in BIND with a TSIG-signed update; the certificate is served by SNI for
// any name under the wildcard, and the records are gone afterwards.
TEST_F(AcmeDns01, AWildcardAndItsApexComeFromOneDns01Order) {
  const std::string routes = wildcard_routes(app.url());
  auto ctl = dns_controller(routes);
  ASSERT_TRUE(eventually_issued_by("a.home.example", "Pebble", *ctl))
      << ctl->log() << pebble->log() << named->log();
  EXPECT_TRUE(contains(issuer("home.example"), "Pebble"));
  EXPECT_TRUE(contains(issuer("other.home.example"), "Pebble"));  // Any name under it.
  EXPECT_TRUE(contains(ctl->log(), "(dns-01)")) << ctl->log();
  EXPECT_FALSE(contains(ctl->log(), NamedServer::kKeySecret));  // The TSIG secret stays out.
  // The certificate's expiry, as a gauge per certificate.
  const auto at = ctl->wait_for_log("metrics address=127.0.0.1:", 10s);
  ASSERT_NE(at, std::string::npos) << ctl->log();
  const auto port = static_cast<std::uint16_t>(std::stoul(ctl->log().substr(at, 6)));
  const auto metrics = HttpClient(port).request("GET", "/metrics").body;
  EXPECT_TRUE(contains(metrics,
                       "wharf_controller_acme_certificate_expiry_timestamp_seconds{"
                       "certificate=\"dns/*.home.example,home.example\"}"))
      << metrics;
  EXPECT_TRUE(contains(metrics,
                       "wharf_controller_acme_certificate_failing{certificate=\"dns/"
                       "*.home.example,home.example\"} 0"))
      << metrics;
  // The TXT records were removed once validated.
  EXPECT_TRUE(eventually([&] { return named->txt("_acme-challenge.home.example").empty(); }, 5s));
}

// The same through lego's httpreq provider: a hook (tests/peers/dns_hook.py, behind basic
// authentication) turns each present and cleanup into an nsupdate to BIND.
TEST_F(AcmeDns01, TheHttpHookPresentsAndCleansUp) {
  auto hook = start_peer("dns_hook.py", {"wharf:hook-secret", std::to_string(named->port()),
                                         NamedServer::kKeyName, NamedServer::kKeySecret});
  const std::string endpoint = hook.url + "/hook";
  auto ctl = dns_controller(
      wildcard_routes(app.url()), "httpreq",
      {"HTTPREQ_ENDPOINT=" + endpoint, "HTTPREQ_USERNAME=wharf", "HTTPREQ_PASSWORD=hook-secret"});
  ASSERT_TRUE(eventually_issued_by("a.home.example", "Pebble", *ctl))
      << ctl->log() << hook.process->log() << named->log();
  EXPECT_TRUE(contains(hook.process->log(), "/hook/present _acme-challenge.home.example. 0"))
      << hook.process->log();
  EXPECT_TRUE(eventually(
      [&] {
        return contains(hook.process->log(), "/hook/cleanup _acme-challenge.home.example. 0");
      },
      5s))
      << hook.process->log();
  EXPECT_EQ(named->txt("_acme-challenge.home.example"), "");
}

// lego's RAW mode: the hook is told the domain, token and key authorization and makes the
// record itself; for the wildcard's authorization the domain is "*.home.example".
TEST_F(AcmeDns01, TheHttpHookInRawModeIsToldTheDomainAndKeyAuthorization) {
  auto hook = start_peer("dns_hook.py", {"wharf:hook-secret", std::to_string(named->port()),
                                         NamedServer::kKeyName, NamedServer::kKeySecret});
  auto ctl = dns_controller(wildcard_routes(app.url()), "httpreq",
                            {"HTTPREQ_ENDPOINT=" + hook.url, "HTTPREQ_USERNAME=wharf",
                             "HTTPREQ_PASSWORD=hook-secret", "HTTPREQ_MODE=RAW"});
  ASSERT_TRUE(eventually_issued_by("a.home.example", "Pebble", *ctl))
      << ctl->log() << hook.process->log() << named->log();
  const auto seen = hook.process->log();
  EXPECT_TRUE(contains(seen, "/present _acme-challenge.home.example. 0 (raw *.home.example)"))
      << seen;
  EXPECT_TRUE(contains(seen, "/present _acme-challenge.home.example. 0 (raw home.example)"))
      << seen;
}

// Cloudflare's v4 API (a stand-in speaking its envelope, writing to BIND): a token with DNS
// edit rights gets the wildcard; one that may only read zones is refused with Cloudflare's own
// code and message in the log, and nothing is issued.
TEST_F(AcmeDns01, CloudflareThroughItsV4Api) {
  auto api = start_peer("cloudflare_api.py", {std::to_string(named->port()), NamedServer::kKeyName,
                                              NamedServer::kKeySecret});
  const std::string base = "CLOUDFLARE_BASE_URL=" + api.url + "/client/v4";
  {
    auto ctl =
        dns_controller(wildcard_routes(app.url()), "cloudflare", {base, "CF_DNS_API_TOKEN=READ"});
    EXPECT_TRUE(eventually([&] {
      return contains(ctl->log(), "Cloudflare 9109: Unauthorized to access requested resource");
    })) << ctl->log()
        << api.process->log();
    EXPECT_FALSE(contains(issuer("a.home.example"), "Pebble"));
  }
  auto ctl =
      dns_controller(wildcard_routes(app.url()), "cloudflare", {base, "CF_DNS_API_TOKEN=EDIT"});
  ASSERT_TRUE(eventually_issued_by("a.home.example", "Pebble", *ctl))
      << ctl->log() << api.process->log();
  EXPECT_TRUE(
      eventually([&] { return contains(api.process->log(), "DELETE /client/v4/zones/"); }, 5s))
      << api.process->log();
  EXPECT_EQ(named->txt("_acme-challenge.home.example"), "");
}

// A record that takes 3 s to appear: the controller keeps looking until every resolver has it
// and only then lets the CA validate (which would fail earlier), then the certificate comes.
TEST_F(AcmeDns01, APropagationThatArrivesLateIsWaitedFor) {
  auto hook = start_peer("dns_hook.py", {"wharf:hook-secret", std::to_string(named->port()),
                                         NamedServer::kKeyName, NamedServer::kKeySecret, "3"});
  const std::string endpoint = hook.url + "/hook";
  const auto started = std::chrono::steady_clock::now();
  auto ctl = dns_controller(
      wildcard_routes(app.url()), "httpreq",
      {"HTTPREQ_ENDPOINT=" + endpoint, "HTTPREQ_USERNAME=wharf", "HTTPREQ_PASSWORD=hook-secret"});
  ASSERT_TRUE(eventually_issued_by("a.home.example", "Pebble", *ctl))
      << ctl->log() << hook.process->log() << pebble->log();
  // Two authorizations, each waiting its 3 s; not one validation failed on the way.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 6s);
  EXPECT_TRUE(contains(hook.process->log(), "published _acme-challenge.home.example."))
      << hook.process->log();
  EXPECT_FALSE(contains(ctl->log(), "invalid")) << ctl->log();
  // Credentials stay out of the log.
  EXPECT_FALSE(contains(ctl->log(), "hook-secret")) << ctl->log();
}

// A DNS server that refuses the update (BIND, the TSIG secret wrong): the log and the admin
// API name the zone and BIND's reason, the failure is retried later, and the routers are
// served meanwhile with the default certificate.
TEST_F(AcmeDns01, AnUpdateTheDnsServerRefusesIsReportedWithTheZoneAndWhy) {
  auto ctl = dns_controller(wildcard_routes(app.url()), "rfc2136",
                            {"RFC2136_NAMESERVER=" + named->address(),
                             std::string("RFC2136_TSIG_KEY=") + NamedServer::kKeyName,
                             "RFC2136_TSIG_SECRET=bm90LXRoZS1rZXktYmluZC1oYXMtMDEyMzQ1Njc4OQ==",
                             "RFC2136_TSIG_ALGORITHM=hmac-sha256."});
  const auto at = ctl->wait_for_log("next try in 60 s", 60s);
  ASSERT_NE(at, std::string::npos) << ctl->log() << named->log();
  const auto log = ctl->log();
  const auto line = log.substr(log.rfind('\n', at - 1) + 1, at - log.rfind('\n', at - 1) - 1);
  EXPECT_TRUE(contains(line, "acme resolver dns: *.home.example,home.example: ")) << line;
  EXPECT_TRUE(contains(line, "in zone home.example at " + named->address())) << line;
  EXPECT_TRUE(contains(line, "NOTAUTH")) << line;
  EXPECT_EQ(named->txt("_acme-challenge.home.example"), "");
  EXPECT_TRUE(contains(issuer("a.home.example"), "WHARF DEFAULT CERT"));
  // The dashboard's view: the certificate is failing, with the reason and the next try.
  std::string listed;
  eventually(
      [&] {
        listed = admin("/api/certificates?search=home.example");
        return contains(listed, "failing");
      },
      5s);
  EXPECT_TRUE(contains(listed,
                       "\"name\":\"dns/*.home.example,home.example\",\"domains\":[\"*.home."
                       "example\",\"home.example\"],\"status\":\"failing\",\"resolver\":\"dns\","
                       "\"router\":\"wild@file\",\"lastError\":\""))
      << listed;
  EXPECT_TRUE(contains(listed, "NOTAUTH")) << listed;
  EXPECT_TRUE(contains(listed, "\"retryAt\":\"")) << listed;
}

// A stored wildcard certificate past two thirds of its life is renewed through DNS-01, and the
// admin API shows the new one: Pebble's, valid, with its renewal time.
TEST_F(AcmeDns01, AWildcardCertificateIsRenewedThroughDns01) {
  plant("dns", {"*.home.example", "home.example"}, 25, 5);
  auto ctl = dns_controller(wildcard_routes(app.url()));
  ASSERT_NE(ctl->wait_for_log("1 stored certificate(s) loaded", 10s), std::string::npos)
      << ctl->log();
  ASSERT_TRUE(eventually_issued_by("b.home.example", "Pebble", *ctl)) << ctl->log();
  EXPECT_TRUE(contains(issuer("home.example"), "Pebble"));
  EXPECT_TRUE(contains(ctl->log(),
                       "*.home.example,home.example: requesting a certificate "
                       "(dns-01)"))
      << ctl->log();
  std::string listed;
  eventually(
      [&] {
        listed = admin("/api/certificates?search=dns");
        return contains(listed, "Pebble");
      },
      5s);
  EXPECT_TRUE(contains(listed, "\"name\":\"dns-_.home.example@acme\"")) << listed;
  EXPECT_TRUE(contains(listed, "\"issuer\":\"Pebble Intermediate CA")) << listed;
  EXPECT_TRUE(contains(listed, "\"status\":\"valid\",\"resolver\":\"dns\"")) << listed;
  EXPECT_TRUE(contains(listed, "\"renewAt\":\"")) << listed;
  // The renewed certificate was stored in place of the old one.
  EXPECT_TRUE(contains(run_command({"openssl", "x509", "-noout", "-issuer", "-in",
                                    storage() + "/dns/certs/_.home.example.crt"})
                           .out,
                       "Pebble"));
}

// Resolvers have the record at once; the zone's nameserver (the relay) answers without it for
// 3 s: validation waits for it, then the certificate comes.
TEST_F(AcmeDns01Authoritative, TheZonesNameserversMustServeTheRecordBeforeValidation) {
  auto relay = start_peer("dns_relay.py", {ns_address, std::to_string(named->port()), "3"});
  auto ctl = dns_controller(wildcard_routes(app.url()));
  ASSERT_TRUE(eventually_issued_by("a.home.example", "Pebble", *ctl))
      << ctl->log() << relay.process->log() << pebble->log();
  const auto seen = relay.process->log();
  const auto withheld = seen.find("TXT _acme-challenge.home.example. withheld");
  const auto answered = seen.find("TXT _acme-challenge.home.example. answered");
  ASSERT_NE(withheld, std::string::npos) << seen;
  ASSERT_NE(answered, std::string::npos) << seen;
  EXPECT_LT(withheld, answered) << seen;
  EXPECT_FALSE(contains(ctl->log(), "invalid")) << ctl->log();
}

}  // namespace
}  // namespace wharf::test
