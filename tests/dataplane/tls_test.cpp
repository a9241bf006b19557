// TLS termination with real clients: Asio/OpenSSL in-process for the handshake details (SNI,
// protocol floor, ALPN, websocket over TLS), and the openssl and curl command-line tools.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "dataplane/app/options.hpp"
#include "dataplane/tls/certificate_store.hpp"
#include "dataplane/tls/server_context.hpp"
#include "dataplane/tls/ticket_keys.hpp"
#include "test_common/certificates.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// TLS routers go to `secure`, plain ones to `plain`; both on every entrypoint.
model::RoutingTable tls_table(const Certificates& certs, const std::string& secure,
                              const std::string& plain) {
  model::RoutingTable t;
  t.version = 1;
  t.routers.push_back({"secure@test", "PathPrefix(`/`)", 0, {}, "secure@test", true, {}, {}});
  t.routers.push_back({"plain@test", "PathPrefix(`/`)", 0, {}, "plain@test", false, {}, {}});
  t.services.push_back(
      {"secure@test", {{secure, 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}});
  t.services.push_back(
      {"plain@test", {{plain, 1}}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}});
  t.certificates = {certs.exact, certs.wildcard};
  return t;
}

struct Handshake {
  bool ok = false;
  std::string subject_cn, alpn, protocol, cipher;
  bool resumed = false;
  SSL_SESSION* session = nullptr;  // Set when asked for; the caller frees it.
};

struct ClientOptions {
  int version = 0;  // Only this protocol version (0: any).
  bool offer_alpn = true;
  SSL_SESSION* resume = nullptr;  // Offered for resumption.
  bool keep_session = false;
};

// One TLS handshake with the data plane as an OpenSSL client would do it, then a clean close.
Handshake handshake(std::uint16_t port, const std::string& sni, ClientOptions opt = {}) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  if (opt.version) {
    SSL_CTX_set_max_proto_version(ctx.native_handle(), opt.version);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), opt.version);
    // Let the client offer old protocols, so refusing them is the server's doing.
    SSL_CTX_set_security_level(ctx.native_handle(), 0);
  }
  beast::ssl_stream<tcp::socket> s(io, ctx);
  if (!sni.empty()) SSL_set_tlsext_host_name(s.native_handle(), sni.c_str());
  if (opt.offer_alpn) {
    static const unsigned char kProtos[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(s.native_handle(), kProtos, sizeof kProtos);
  }
  if (opt.resume) SSL_set_session(s.native_handle(), opt.resume);
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  s.handshake(ssl::stream_base::client, ec);
  Handshake h;
  if (ec) return h;
  h.ok = true;
  if (X509* cert = SSL_get1_peer_certificate(s.native_handle())) {
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    h.subject_cn = cn;
    X509_free(cert);
  }
  const unsigned char* alpn = nullptr;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(s.native_handle(), &alpn, &alpn_len);
  h.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  h.protocol = SSL_get_version(s.native_handle());
  h.cipher = SSL_get_cipher_name(s.native_handle());
  h.resumed = SSL_session_reused(s.native_handle()) == 1;
  if (opt.keep_session) h.session = SSL_get1_session(s.native_handle());
  // A clean close: OpenSSL will not resume a session whose connection was just dropped.
  s.shutdown(ec);
  return h;
}

// Both certificates and one upstream behind TLS and plain routers, applied before each test.
class TlsServing : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(dp.apply(tls_table(certs, up.url(), up.url())), "ack"); }
  Certificates certs;
  UpstreamServer up{"up"};
  InProcessDataplane dp;
};

// A new table reuses the server contexts of the certificates the live one has (an endpoint
// change in a cluster of TLS Ingresses does not reload every certificate); a changed key gets
// a context of its own.
TEST(CertificateStore, ANewTableReusesTheContextsOfUnchangedCertificates) {
  Certificates certs;
  auto first = dataplane::tls::CertificateStore::build({certs.exact, certs.wildcard}, {}, {}, {});
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = dataplane::tls::CertificateStore::build({certs.exact, certs.wildcard}, {}, {}, {});
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_EQ((*first)->select("a.example"), (*second)->select("a.example"));
  EXPECT_EQ((*first)->select("x.wild.example"), (*second)->select("x.wild.example"));
  auto renewed = certs.make("exact2", "a.example", "DNS:a.example");
  auto third = dataplane::tls::CertificateStore::build({renewed, certs.wildcard}, {}, {}, {});
  ASSERT_TRUE(third.ok()) << third.error();
  EXPECT_NE((*third)->select("a.example"), (*first)->select("a.example"));
  EXPECT_NE((*third)->select("a.example"), nullptr);
}

TEST_F(TlsServing, SniPicksTheExactNameThenOneLabelWildcardThenTheDefault) {
  EXPECT_EQ(handshake(dp.port(), "a.example").subject_cn, "a.example");
  EXPECT_EQ(handshake(dp.port(), "A.Example").subject_cn, "a.example");  // names are caseless
  EXPECT_EQ(handshake(dp.port(), "x.wild.example").subject_cn, "wild");
  auto before = dataplane::tls::default_certificate_served();
  EXPECT_EQ(handshake(dp.port(), "y.x.wild.example").subject_cn, "WHARF DEFAULT CERT");
  EXPECT_EQ(handshake(dp.port(), "wild.example").subject_cn, "WHARF DEFAULT CERT");
  EXPECT_EQ(handshake(dp.port(), "").subject_cn, "WHARF DEFAULT CERT");  // no SNI at all
  EXPECT_EQ(dataplane::tls::default_certificate_served(), before + 3);

  // A new table without the exact certificate: the name falls back to the default.
  auto t = tls_table(certs, up.url(), up.url());
  t.version = 2;
  t.certificates = {certs.wildcard};
  ASSERT_EQ(dp.apply(t), "ack");
  EXPECT_EQ(handshake(dp.port(), "a.example").subject_cn, "WHARF DEFAULT CERT");
}

// Operators alert on expiry: each certificate's notAfter is a gauge (the certificates were
// made for two days).
TEST_F(TlsServing, MetricsTellWhenEachCertificateExpires) {
  auto text = HttpClient(dp.admin_port()).request("GET", "/metrics").body;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (const char* name : {"exact@test", "wild@test"}) {
    const std::string series =
        std::string("wharf_tls_certificate_not_after_seconds{certificate=\"") + name + "\"} ";
    auto at = text.find(series);
    ASSERT_NE(at, std::string::npos) << text;
    const double value = std::stod(text.substr(at + series.size()));
    EXPECT_NEAR(value, static_cast<double>(now + 2 * 86400), 600.0) << name;
  }
}

TEST_F(TlsServing, OnlyTls12And13WithForwardSecretAeadCiphersAndAlpn) {
  EXPECT_FALSE(handshake(dp.port(), "a.example", {TLS1_VERSION}).ok);
  EXPECT_FALSE(handshake(dp.port(), "a.example", {TLS1_1_VERSION}).ok);
  auto v12 = handshake(dp.port(), "a.example", {TLS1_2_VERSION});
  ASSERT_TRUE(v12.ok);
  EXPECT_EQ(v12.protocol, "TLSv1.2");
  EXPECT_TRUE(v12.cipher.starts_with("ECDHE-")) << v12.cipher;
  EXPECT_TRUE(v12.cipher.find("GCM") != std::string::npos ||
              v12.cipher.find("CHACHA20") != std::string::npos)
      << v12.cipher;
  auto v13 = handshake(dp.port(), "a.example");
  ASSERT_TRUE(v13.ok);
  EXPECT_EQ(v13.protocol, "TLSv1.3");
  EXPECT_EQ(v13.alpn, "h2");  // Offered h2 and http/1.1: h2 is preferred.
  EXPECT_EQ(handshake(dp.port(), "a.example", {0, false}).alpn, "");

  // The openssl tool agrees: TLS 1.1 refused, TLS 1.2 accepted.
  auto s_client = [&](const std::string& flags) {
    return run_command({"sh", "-c",
                        "openssl s_client -connect 127.0.0.1:" + std::to_string(dp.port()) +
                            " -servername a.example " + flags + " </dev/null"});
  };
  EXPECT_NE(s_client("-tls1_1 -cipher DEFAULT@SECLEVEL=0").status, 0);
  auto ok = s_client("-tls1_2");
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("subject=CN = a.example"), std::string::npos) << ok.out;
}

TEST(Tls, PlainAndTlsShareThePortAndRoutersServeTheirOwnKind) {
  Certificates certs;
  UpstreamServer secure("secure"), plain("plain");
  InProcessDataplane dp;
  ASSERT_EQ(dp.apply(tls_table(certs, secure.url(), plain.url())), "ack");
  const std::string port = std::to_string(dp.port());
  auto curl =
      run_command({"curl", "-sS", "-k", "-i", "--resolve", "a.example:" + port + ":127.0.0.1",
                   "https://a.example:" + port + "/hello?x=1"});
  ASSERT_EQ(curl.status, 0) << curl.out;
  // curl takes HTTP/2 when ALPN offers it: its header names come in lower case.
  EXPECT_TRUE(curl.out.starts_with("HTTP/2 200")) << curl.out;
  EXPECT_NE(curl.out.find("x-upstream: secure"), std::string::npos) << curl.out;
  EXPECT_NE(curl.out.find("X-Forwarded-Proto: https"), std::string::npos) << curl.out;
  EXPECT_NE(curl.out.find("GET /hello?x=1\n"), std::string::npos) << curl.out;

  HttpClient c(dp.port());
  auto r = c.request("GET", "/hello", {{"Host", "a.example"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["x-upstream"], "plain");
  EXPECT_NE(r.body.find("X-Forwarded-Proto: http\n"), std::string::npos) << r.body;

  // Without a plain router, a plain request finds nothing, and the reverse.
  auto only_tls = tls_table(certs, secure.url(), plain.url());
  only_tls.version = 2;
  only_tls.routers.pop_back();
  ASSERT_EQ(dp.apply(only_tls), "ack");
  EXPECT_EQ(host_status(dp.port(), "a.example"), 404u);
}

TEST(Tls, HttpIsRedirectedToHttpsWhichSendsHsts) {
  Certificates certs;
  UpstreamServer secure("secure"), plain("plain");
  InProcessDataplane dp{2, {"--entrypoint", "websecure=127.0.0.1:0"}};
  auto t = tls_table(certs, secure.url(), plain.url());
  t.entrypoints.push_back({"web", {}, {"websecure", "https", true}});
  t.middlewares.push_back(
      {"hsts@test", "headers", {{"stsseconds", "31536000"}, {"stsincludesubdomains", "true"}}});
  t.routers[0].middlewares = {"hsts@test"};
  ASSERT_EQ(dp.apply(t), "ack");
  const std::string web = std::to_string(dp.port("web"));
  const std::string websecure = std::to_string(dp.port("websecure"));
  // curl follows the 301 from the plain entrypoint to the TLS one, query string intact.
  auto curl =
      run_command({"curl", "-sS", "-k", "-i", "-L", "--resolve", "a.example:" + web + ":127.0.0.1",
                   "--resolve", "a.example:" + websecure + ":127.0.0.1",
                   "http://a.example:" + web + "/photos?album=2&sort=date%20desc"});
  ASSERT_EQ(curl.status, 0) << curl.out;
  EXPECT_NE(curl.out.find("HTTP/1.1 301 Moved Permanently"), std::string::npos) << curl.out;
  EXPECT_NE(curl.out.find("Location: https://a.example:" + websecure +
                          "/photos?album=2&sort=date%20desc"),
            std::string::npos)
      << curl.out;
  // Over TLS curl takes HTTP/2 (lower-case names); HSTS comes with it.
  EXPECT_NE(curl.out.find("HTTP/2 200"), std::string::npos) << curl.out;
  EXPECT_NE(curl.out.find("strict-transport-security: max-age=31536000; includeSubDomains"),
            std::string::npos)
      << curl.out;
  EXPECT_NE(curl.out.find("x-upstream: secure"), std::string::npos) << curl.out;
  EXPECT_NE(curl.out.find("GET /photos?album=2&sort=date%20desc\n"), std::string::npos) << curl.out;
  // The plain router was never reached: the redirect comes before routing.
  EXPECT_EQ(plain.requests_served(), 0u);
}

TEST_F(TlsServing, WebsocketAndAStreamedUploadOverTls) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  beast::websocket::stream<beast::ssl_stream<tcp::socket>> ws(io, ctx);
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), "a.example");
  beast::get_lowest_layer(ws).connect({asio::ip::make_address("127.0.0.1"), dp.port()});
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.handshake("a.example", "/ws");
  for (int i = 0; i < 20; ++i) {
    std::string msg(1000 + i * 997, static_cast<char>('a' + i));
    ws.write(asio::buffer(msg));
    beast::flat_buffer buf;
    ws.read(buf);
    ASSERT_EQ(beast::buffers_to_string(buf.data()), msg);
  }
  ws.close(beast::websocket::close_code::normal);

  // 64 MiB through curl, streamed both ways (the upstream reads as it arrives).
  TempDir tmp;
  const std::string file = tmp.path() + "/body";
  ASSERT_EQ(run_command({"sh", "-c", "head -c 67108864 /dev/zero > " + file}).status, 0);
  const std::string port = std::to_string(dp.port());
  auto r = run_command({"curl", "-sS", "-k", "--resolve", "a.example:" + port + ":127.0.0.1",
                        "--data-binary", "@" + file, "https://a.example:" + port + "/upload"});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("received 67108864 "), std::string::npos) << r.out;
}

TEST_F(TlsServing, ACertificateThatDoesNotLoadRefusesTheTableAndTheOldOneKeepsServing) {
  auto bad = tls_table(certs, up.url(), up.url());
  bad.version = 2;
  bad.certificates[0].key_pem = certs.wildcard.key_pem;
  auto answer = dp.apply(bad);
  EXPECT_NE(answer.find("certificate 'exact@test'"), std::string::npos) << answer;
  EXPECT_EQ(handshake(dp.port(), "a.example").subject_cn, "a.example");
}

TEST(Tls, TheTablesDefaultCertificateReplacesTheGeneratedOne) {
  Certificates certs;
  UpstreamServer up("up");
  InProcessDataplane dp;
  auto t = tls_table(certs, up.url(), up.url());
  t.certificates[1].is_default = true;  // the wildcard one, CN "wild"
  ASSERT_EQ(dp.apply(t), "ack");
  EXPECT_EQ(handshake(dp.port(), "a.example").subject_cn, "a.example");
  EXPECT_EQ(handshake(dp.port(), "unknown.example").subject_cn, "wild");
  EXPECT_EQ(handshake(dp.port(), "").subject_cn, "wild");
  // Two defaults in one table: refused, the previous table keeps serving.
  t.version = 2;
  t.certificates[0].is_default = true;
  EXPECT_NE(dp.apply(t).find("are both the default"), std::string::npos);
  EXPECT_EQ(handshake(dp.port(), "unknown.example").subject_cn, "wild");
}

TEST_F(TlsServing, SessionTicketsResumeAcrossKeyRotationsUntilTheKeyIsRetired) {
  // TLS 1.2: its ticket arrives within the handshake.
  auto connect = [&](SSL_SESSION* offer) {
    return handshake(dp.port(), "a.example", {TLS1_2_VERSION, true, offer, true});
  };
  auto first = connect(nullptr);
  EXPECT_FALSE(first.resumed);
  ASSERT_NE(first.session, nullptr);
  auto again = connect(first.session);
  EXPECT_TRUE(again.resumed);
  // Two rotations: the ticket's key is the oldest still kept, so it resumes (and is reissued).
  dataplane::tls::rotate_ticket_keys();
  dataplane::tls::rotate_ticket_keys();
  auto after_two = connect(first.session);
  EXPECT_TRUE(after_two.resumed);
  // One more: that key is gone and the old ticket gives a full handshake; the reissued one,
  // sealed with a newer key, still resumes.
  dataplane::tls::rotate_ticket_keys();
  auto after_three = connect(first.session);
  EXPECT_FALSE(after_three.resumed);
  auto reissued = connect(after_two.session);
  EXPECT_TRUE(reissued.resumed);
  for (const auto& h : {first, again, after_two, after_three, reissued})
    SSL_SESSION_free(h.session);
}

TEST(Tls, AHandshakeThatStallsIsCutAfterReadHeaderMs) {
  Certificates certs;
  UpstreamServer up("up");
  InProcessDataplane dp;
  auto t = tls_table(certs, up.url(), up.url());
  t.entrypoints.push_back({"web", {}, {}});
  t.entrypoints[0].timeouts.read_header_ms = 300;
  ASSERT_EQ(dp.apply(t), "ack");
  // A TLS record header announcing a ClientHello that never comes: a slowloris on TLS.
  HttpClient stalled(dp.port());
  stalled.send_raw(std::string("\x16\x03\x01\x00\x80", 5));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(stalled.read_until_close(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Tls, DefaultEntrypointsAreWebAndWebsecureBothServingEither) {
  const char* argv[] = {"wharf-dataplane"};
  char* envp[] = {nullptr};
  auto o = dataplane::parse_options(1, argv, envp);
  ASSERT_TRUE(o.ok()) << o.error();
  ASSERT_EQ(o->entrypoints.size(), 2u);
  EXPECT_EQ(o->entrypoints[0].name, "web");
  EXPECT_EQ(o->entrypoints[0].port, 80);
  EXPECT_EQ(o->entrypoints[1].name, "websecure");
  EXPECT_EQ(o->entrypoints[1].port, 443);
}

}  // namespace
}  // namespace wharf::test
