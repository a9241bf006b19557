// TLS to servers (https:// URLs and servers transports): a second data plane terminating TLS
// with a certificate from a test CA plays the https backend, and openssl s_server the one that
// demands a client certificate.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/eventually.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A test CA, a server certificate from it for backend.internal and 127.0.0.1, and a client
// certificate from it.
struct Pki {
  TempDir dir;
  std::string ca, server_cert, server_key, client_cert, client_key;
  Pki() {
    auto r = run_command(
        {"sh", "-c",
         "cd " + dir.path() +
             " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
             " -subj /CN=wharf-test-ca -keyout ca.key -out ca.crt"
             " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
             " -subj /CN=backend.internal -keyout srv.key -out srv.csr"
             " && printf 'subjectAltName=DNS:backend.internal,IP:127.0.0.1\\n' > srv.ext"
             " && openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
             " -days 2 -extfile srv.ext -out srv.crt"
             " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
             " -subj /CN=wharf-client -keyout cli.key -out cli.csr"
             " && openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
             " -days 2 -out cli.crt"});
    EXPECT_EQ(r.status, 0) << r.out;
    ca = read("ca.crt");
    server_cert = read("srv.crt");
    server_key = read("srv.key");
    client_cert = read("cli.crt");
    client_key = read("cli.key");
  }
  std::string read(const std::string& f) const {
    std::ifstream in(dir.path() + "/" + f);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::string path(const std::string& f) const { return dir.path() + "/" + f; }
};

class UpstreamTls : public ::testing::Test {
 protected:
  void SetUp() override {
    // The https backend: a data plane serving the CA-signed certificate (also by default, for
    // clients that send no SNI, as for an IP address) in front of a plain upstream.
    auto t = simple_table(1, app.url());
    t.routers[0].tls = true;
    t.certificates.push_back(
        {"backend@test", {"backend.internal"}, pki.server_cert, pki.server_key, true});
    ASSERT_EQ(backend.apply(t), "ack");
  }
  std::string backend_url() const { return "https://127.0.0.1:" + std::to_string(backend.port()); }

  // The front data plane sends everything to `url` through `transport` (when given).
  std::string route(const std::string& url, std::optional<model::ServersTransport> transport) {
    auto t = simple_table(++version_, url);
    if (transport) {
      t.services[0].transport = transport->name;
      t.transports.push_back(*transport);
    }
    return front.apply(t);
  }
  model::ServersTransport with_ca(std::string server_name = {}) const {
    return {"internal@test", std::move(server_name), false, {pki.ca}, "", ""};
  }
  Response get(const std::string& target = "/") {
    return HttpClient(front.port()).request("GET", target);
  }

  Pki pki;
  UpstreamServer app{"app"};
  InProcessDataplane backend{1};
  InProcessDataplane front{1};
  std::uint64_t version_ = 0;
};

TEST_F(UpstreamTls, AServerIsReachedOverTlsAndItsCertificateVerified) {
  ASSERT_EQ(route(backend_url(), with_ca()), "ack");
  auto r = get("/hello");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["x-upstream"], "app");
  // The backend saw a TLS connection (it is what set the scheme).
  EXPECT_TRUE(contains(r.body, "X-Forwarded-Proto: https\n")) << r.body;
  // Keep-alive to the backend: a second request on another client connection still works.
  EXPECT_EQ(get("/again").status, 200u);

  // By name: the transport's serverName is the SNI and the name checked.
  ASSERT_EQ(route(backend_url(), with_ca("backend.internal")), "ack");
  EXPECT_EQ(get().status, 200u);
  ASSERT_EQ(route(backend_url(), with_ca("other.example")), "ack");
  EXPECT_EQ(get().status, 502u);
}

TEST_F(UpstreamTls, AnUntrustedCertificateIsRefusedUnlessVerificationIsOff) {
  // The default transport trusts the system's CAs, which did not sign the test certificate.
  ASSERT_EQ(route(backend_url(), std::nullopt), "ack");
  EXPECT_EQ(get().status, 502u);
  ASSERT_EQ(route(backend_url(), model::ServersTransport{"skip@test", "", true, {}, "", ""}),
            "ack");
  EXPECT_EQ(get().status, 200u);
  // Plain HTTP to a TLS-only router is not what the backend serves: the scheme matters.
  ASSERT_EQ(route("http://127.0.0.1:" + std::to_string(backend.port()), std::nullopt), "ack");
  EXPECT_EQ(get().status, 404u);
}

// forwardAuth.tls.ca: an https auth server verified against the CA the controller read.
TEST_F(UpstreamTls, ForwardAuthVerifiesItsServerAgainstTheGivenCa) {
  auto auth_table = [&](std::vector<std::pair<std::string, std::string>> tls) {
    auto t = simple_table(++version_, app.url());
    std::vector<std::pair<std::string, std::string>> options{
        {"address", backend_url() + "/auth/verify"}};
    options.insert(options.end(), tls.begin(), tls.end());
    t.middlewares.push_back({"sso@test", "forwardauth", options});
    t.routers[0].middlewares = {"sso@test"};
    return front.apply(t);
  };
  ASSERT_EQ(auth_table({{"tls.ca", pki.ca}}), "ack");
  EXPECT_EQ(HttpClient(front.port()).request("GET", "/", {{"X-Token", "good"}}).status, 200u);
  EXPECT_EQ(HttpClient(front.port()).request("GET", "/").status, 302u);  // the auth's redirect
  // Without the CA the auth server is not trusted: 502, never a pass.
  ASSERT_EQ(auth_table({}), "ack");
  EXPECT_EQ(HttpClient(front.port()).request("GET", "/", {{"X-Token", "good"}}).status, 502u);
}

TEST_F(UpstreamTls, ABadTransportIsRefusedWithTheTable) {
  auto bad = with_ca();
  bad.root_cas = {"not a certificate"};
  EXPECT_EQ(route(backend_url(), bad),
            "nack: servers transport 'internal@test': root CA 1 holds no PEM certificate");
}

TEST_F(UpstreamTls, HealthChecksTalkTlsToHttpsServers) {
  auto t = simple_table(++version_, backend_url());
  t.services[0].transport = "internal@test";
  t.transports.push_back(with_ca("other.example"));  // Every handshake fails verification.
  t.services[0].health_check.emplace();
  t.services[0].health_check->path = "/health";
  t.services[0].health_check->interval_ms = 100;
  t.services[0].health_check->timeout_ms = 100;
  ASSERT_EQ(front.apply(t), "ack");
  // The check fails the server, so the service has none up: 503 without trying it.
  Response r;
  EXPECT_TRUE(eventually([&] { return (r = get()).status == 503; }, 2s, 20ms));
  EXPECT_EQ(r.headers["retry-after"], "10");
  // With the right name the checks pass again and traffic flows.
  t.version = ++version_;
  t.transports[0] = with_ca("backend.internal");
  ASSERT_EQ(front.apply(t), "ack");
  EXPECT_TRUE(eventually([&] { return get().status == 200; }, 2s, 20ms));
}

TEST_F(UpstreamTls, AClientCertificateIsPresentedForMutualTls) {
  auto port = std::to_string(free_port());
  ChildProcess server({"openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert",
                       pki.path("srv.crt"), "-key", pki.path("srv.key"), "-CAfile",
                       pki.path("ca.crt"), "-Verify", "1", "-verify_return_error", "-www",
                       "-quiet"});
  const std::string url = "https://127.0.0.1:" + port;
  auto mtls = with_ca();
  mtls.cert_pem = pki.client_cert;
  mtls.key_pem = pki.client_key;
  // Routed only once s_server listens: requests refused while it starts would have passive
  // health take the server out (503 for the rest of the test).
  ASSERT_TRUE(wait_until_listening(static_cast<std::uint16_t>(std::stoi(port)))) << server.log();
  ASSERT_EQ(route(url, mtls), "ack");
  Response r = get();
  EXPECT_EQ(r.status, 200u) << server.log();
  EXPECT_TRUE(contains(r.body, "wharf-client")) << r.body.substr(0, 2000);
  // Without the client certificate the server refuses the handshake.
  ASSERT_EQ(route(url, with_ca()), "ack");
  EXPECT_EQ(get().status, 502u);
}

}  // namespace
}  // namespace wharf::test
