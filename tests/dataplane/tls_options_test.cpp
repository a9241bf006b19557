// TLS options per router, chosen by SNI (Traefik's tls.options): a protocol floor, mutual TLS
// with client certificates from a test CA, sniStrict, and 421 for a request whose router wants
// other options than its connection got. Clients are curl and openssl.
#include <gtest/gtest.h>

#include <fstream>

#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

class TlsOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sign = [](const std::string& name, const std::string& ext) {
      return " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" +
             name + " -keyout " + name + ".key -out " + name + ".csr 2>/dev/null" + " && printf '" +
             ext + "\\n' > " + name + ".ext" + " && openssl x509 -req -in " + name +
             ".csr -CA ca.crt -CAkey ca.key -CAcreateserial" + " -days 2 -extfile " + name +
             ".ext -out " + name + ".crt 2>/dev/null";
    };
    auto r = run_command(
        {"sh", "-c",
         "cd " + dir.path() +
             " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
             " -subj /CN=test-ca -keyout ca.key -out ca.crt 2>/dev/null" +
             sign("secure.example", "subjectAltName=DNS:secure.example") +
             sign("open.example", "subjectAltName=DNS:open.example") +
             sign("client", "extendedKeyUsage=clientAuth") +
             " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
             " -subj /CN=stranger -keyout stranger.key -out stranger.crt 2>/dev/null"});
    ASSERT_EQ(r.status, 0) << r.out;
    ASSERT_EQ(dp.apply(table()), "ack");
  }

  model::RoutingTable table() {
    auto t = simple_table(++version, app.url(), "Host(`secure.example`)");
    t.routers[0].name = "secure@t";
    t.routers[0].tls = true;
    t.routers[0].tls_options = "mtls@t";
    model::Router open;
    open.name = "open@t";
    open.rule = "Host(`open.example`)";
    open.service = t.routers[0].service;
    open.tls = true;
    t.routers.push_back(open);
    for (const char* name : {"secure.example", "open.example"}) {
      t.certificates.push_back({std::string(name) + "@t",
                                {name},
                                read_file(dir.path() + "/" + name + ".crt"),
                                read_file(dir.path() + "/" + name + ".key"),
                                false});
    }
    model::TlsOptions mtls;
    mtls.name = "mtls@t";
    mtls.min_version = "1.3";
    mtls.client_auth = "require_and_verify";
    mtls.client_cas = {read_file(dir.path() + "/ca.crt")};
    t.tls_options.push_back(mtls);
    return t;
  }

  // curl to https://NAME:PORT/ (resolved to 127.0.0.1): the HTTP status, or "000" when the
  // TLS handshake failed.
  std::string curl(const std::string& name, std::vector<std::string> extra = {}) {
    const std::string port = std::to_string(dp.port());
    std::vector<std::string> argv = {"curl",      "-s",
                                     "-o",        "/dev/null",
                                     "-w",        "%{http_code}",
                                     "--cacert",  dir.path() + "/ca.crt",
                                     "--resolve", name + ":" + port + ":127.0.0.1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://" + name + ":" + port + "/");
    return run_command(argv).out;
  }
  std::vector<std::string> client_cert(const std::string& who) {
    return {"--cert", dir.path() + "/" + who + ".crt", "--key", dir.path() + "/" + who + ".key"};
  }

  TempDir dir;
  UpstreamServer app{"app"};
  InProcessDataplane dp{1};
  std::uint64_t version = 0;
};

TEST_F(TlsOptions, MutualTlsAsksForAClientCertificateFromTheConfiguredCa) {
  EXPECT_EQ(curl("secure.example", client_cert("client")), "200");
  EXPECT_EQ(curl("secure.example"), "000") << "no client certificate";
  EXPECT_EQ(curl("secure.example", client_cert("stranger")), "000") << "not from the CA";
  // The other host keeps the defaults: no client certificate, TLS 1.2 allowed.
  EXPECT_EQ(curl("open.example"), "200");
  EXPECT_EQ(curl("open.example", {"--tls-max", "1.2"}), "200");
}

TEST_F(TlsOptions, TheProtocolFloorFollowsTheServerName) {
  EXPECT_EQ(curl("secure.example",
                 [&] {
                   auto a = client_cert("client");
                   a.insert(a.end(), {"--tls-max", "1.2"});
                   return a;
                 }()),
            "000");
  EXPECT_EQ(curl("secure.example", client_cert("client")), "200");
}

TEST_F(TlsOptions, ARequestForAHostWithOtherOptionsIsMisdirected) {
  // The handshake named open.example (no client certificate asked); the request then asks
  // for secure.example, whose router requires one.
  EXPECT_EQ(curl("open.example", {"-H", "Host: secure.example"}), "421");
  // The other way round: a client certificate connection cannot reach the open router either.
  auto extra = client_cert("client");
  extra.insert(extra.end(), {"-H", "Host: open.example"});
  EXPECT_EQ(curl("secure.example", extra), "421");
}

TEST_F(TlsOptions, SniStrictRefusesNamesWithoutACertificate) {
  auto t = table();
  model::TlsOptions strict;
  strict.name = "default@t";
  strict.sni_strict = true;
  t.tls_options.push_back(strict);
  ASSERT_EQ(dp.apply(t), "ack");
  EXPECT_EQ(curl("open.example"), "200");
  auto unknown = run_command({"sh", "-c",
                              "openssl s_client -connect 127.0.0.1:" + std::to_string(dp.port()) +
                                  " -servername nobody.example </dev/null"});
  EXPECT_NE(unknown.status, 0) << unknown.out;
  auto no_sni = run_command({"sh", "-c",
                             "openssl s_client -connect 127.0.0.1:" + std::to_string(dp.port()) +
                                 " -noservername </dev/null"});
  EXPECT_NE(no_sni.status, 0) << no_sni.out;
}

}  // namespace
}  // namespace wharf::test
