// DNS messages in wire form (controller/acme/dns/message.cpp): what DNS-01 sends and reads.

#include <fstream>

#include <gtest/gtest.h>

#include "controller/acme/dns/client.hpp"
#include "controller/acme/dns/cloudflare.hpp"
#include "controller/acme/dns/httpreq.hpp"
#include "controller/acme/dns/message.hpp"
#include "controller/acme/dns/rfc2136.hpp"
#include "controller/acme/dns01.hpp"

namespace wharf::controller::acme::dns {
namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out.push_back(static_cast<char>(b));
  return out;
}

TEST(DnsMessage, AQueryIsWrittenAsRfc1035SaysAndReadBack) {
  auto wire = encode(query(0x1234, "_acme-challenge.Example.com", type::kTxt));
  ASSERT_TRUE(wire.ok()) << wire.error();
  EXPECT_EQ(*wire, bytes({0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}) +
                       "\x0f_acme-challenge\x07"
                       "Example\x03"
                       "com" +
                       bytes({0, 0, 16, 0, 1}));
  auto m = decode(*wire);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->id, 0x1234);
  EXPECT_TRUE(m->recursion_desired);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, "_acme-challenge.Example.com");
  EXPECT_EQ(m->questions[0].type, type::kTxt);
}

TEST(DnsMessage, CompressedNamesInAnswersAreExpanded) {
  // An answer to "a.example" TXT whose record names the question by pointer (0xc00c), and a
  // SOA in the authority section whose names point into the question too.
  std::string wire = bytes({0xab, 0xcd, 0x84, 0x00, 0, 1, 0, 1, 0, 1, 0, 0}) +
                     "\x01"
                     "a\x07"
                     "example" +
                     bytes({0, 0, 16, 0, 1});
  wire += bytes({0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 5}) + "hello";
  wire += bytes({0xc0, 14, 0, 6, 0, 1, 0, 0, 0, 60, 0, 33}) + "\x02ns" + bytes({0xc0, 14}) +
          "\x05"
          "admin" +
          bytes({0xc0, 14}) + std::string(20, '\x01');
  auto m = decode(wire);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_TRUE(m->response);
  EXPECT_TRUE(m->authoritative);
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].name, "a.example");
  EXPECT_EQ(m->answers[0].txt_value(), "hello");
  EXPECT_EQ(soa_owner(*m), "example");
  EXPECT_EQ(m->authority[0].target(), "ns.example");
}

TEST(DnsMessage, MalformedMessagesAreErrorsNotCrashes) {
  EXPECT_FALSE(decode(bytes({1, 2, 3})).ok());
  // A name pointing at itself.
  EXPECT_FALSE(decode(bytes({0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 16, 0, 1})).ok());
  // A label running past the end.
  EXPECT_FALSE(decode(bytes({0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'a'})).ok());
  EXPECT_FALSE(encode_name(std::string(64, 'a') + ".example").ok());
  EXPECT_FALSE(encode_name("a..example").ok());
}

TEST(DnsMessage, LongTxtValuesAreSplitInto255ByteStrings) {
  const std::string value(600, 'x');
  auto rec = Record::txt("n.example", 60, value);
  EXPECT_EQ(rec.rdata.size(), 603u);
  EXPECT_EQ(static_cast<unsigned char>(rec.rdata[0]), 255);
  EXPECT_EQ(rec.txt_value(), value);
}

TEST(DnsMessage, ServersAreWrittenAsLegoWritesThem) {
  auto s = parse_server("127.0.0.1:5353");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->host, "127.0.0.1");
  EXPECT_EQ(s->port, 5353);
  EXPECT_EQ(parse_server("ns1.example.com")->port, 53);
  EXPECT_EQ(parse_server("[2001:db8::1]:53")->host, "2001:db8::1");
  EXPECT_EQ(parse_server("2001:db8::1")->host, "2001:db8::1");
  EXPECT_FALSE(parse_server("host:0").ok());
  EXPECT_FALSE(parse_server("[::1").ok());
}

TEST(DnsMessage, Rfc2136OptionsReadLegosVariablesAndNameWhatIsMissing) {
  EXPECT_EQ(rfc2136_options({}).error(),
            "RFC2136_NAMESERVER is not set (the server taking the updates)");
  auto o = rfc2136_options({{"RFC2136_NAMESERVER", "127.0.0.1:5353"},
                            {"RFC2136_TSIG_KEY", "acme"},
                            {"RFC2136_TSIG_SECRET", "c2VjcmV0"},
                            {"RFC2136_TSIG_ALGORITHM", "hmac-sha256."},
                            {"RFC2136_TTL", "60"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->key->secret, "secret");
  EXPECT_EQ(o->ttl, 60u);
  EXPECT_EQ(rfc2136_options({{"RFC2136_NAMESERVER", "ns"}, {"RFC2136_TSIG_KEY", "k"}}).error(),
            "RFC2136_TSIG_KEY is set without RFC2136_TSIG_SECRET");
  EXPECT_FALSE(rfc2136_options({{"RFC2136_NAMESERVER", "ns"},
                                {"RFC2136_TSIG_KEY", "k"},
                                {"RFC2136_TSIG_SECRET", "c2VjcmV0"},
                                {"RFC2136_TSIG_ALGORITHM", "hmac-sha3"}})
                   .ok());
  // Without a key: unsigned updates (lego's default algorithm applies only with one).
  EXPECT_FALSE(rfc2136_options({{"RFC2136_NAMESERVER", "ns"}})->key);
}

TEST(DnsMessage, HttpReqOptionsReadLegosVariablesAndNameWhatIsMissing) {
  EXPECT_EQ(httpreq_options({}).error(), "HTTPREQ_ENDPOINT is not set (the URL of the hook)");
  auto o = httpreq_options({{"HTTPREQ_ENDPOINT", "https://hooks.lan:8443/dns/acme/"},
                            {"HTTPREQ_USERNAME", "u"},
                            {"HTTPREQ_PASSWORD", "p"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->origin, "https://hooks.lan:8443");
  EXPECT_EQ(o->path, "/dns/acme");
  EXPECT_EQ(httpreq_options({{"HTTPREQ_ENDPOINT", "http://h"}})->path, "");
  EXPECT_FALSE(httpreq_options({{"HTTPREQ_ENDPOINT", "ftp://h"}}).ok());
  EXPECT_EQ(httpreq_options({{"HTTPREQ_ENDPOINT", "http://h"}, {"HTTPREQ_USERNAME", "u"}}).error(),
            "HTTPREQ_USERNAME is set without HTTPREQ_PASSWORD");
  EXPECT_FALSE(httpreq_options({{"HTTPREQ_ENDPOINT", "http://h"}})->raw);
  EXPECT_TRUE(httpreq_options({{"HTTPREQ_ENDPOINT", "http://h"}, {"HTTPREQ_MODE", "RAW"}})->raw);
  EXPECT_EQ(httpreq_options({{"HTTPREQ_ENDPOINT", "http://h"}, {"HTTPREQ_MODE", "raw"}}).error(),
            "HTTPREQ_MODE='raw': expected RAW, or nothing for lego's default body");
}

TEST(DnsMessage, CloudflareOptionsReadLegosVariablesAndNameWhatIsMissing) {
  EXPECT_EQ(cloudflare_options({}).error(),
            "CF_DNS_API_TOKEN is not set (an API token with Zone:Read and DNS:Edit)");
  EXPECT_EQ(cloudflare_options({{"CF_API_KEY", "k"}, {"CF_API_EMAIL", "e"}})
                .error()
                .rfind("CF_API_KEY (the global API key) is not supported", 0),
            0u);
  auto o = cloudflare_options({{"CLOUDFLARE_DNS_API_TOKEN", "t"}, {"CLOUDFLARE_TTL", "300"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->zone_token, "t");  // The DNS token reads zones too unless another is given.
  EXPECT_EQ(o->ttl, 300u);
  EXPECT_EQ(o->origin, "https://api.cloudflare.com");
  EXPECT_EQ(o->root, "/client/v4");
  o = cloudflare_options({{"CF_DNS_API_TOKEN", "t"},
                          {"CF_ZONE_API_TOKEN", "z"},
                          {"CLOUDFLARE_BASE_URL", "http://127.0.0.1:9/client/v4/"}});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->zone_token, "z");
  EXPECT_EQ(o->origin, "http://127.0.0.1:9");
  EXPECT_EQ(o->root, "/client/v4");
}

TEST(DnsMessage, ProviderVariablesFileVariantsAreReadAsLegoReadsThem) {
  const std::string path = ::testing::TempDir() + "/wharf-cf-token";
  { std::ofstream(path) << "token-from-a-secret\n"; }
  auto env = with_file_variables({{"CF_DNS_API_TOKEN_FILE", path}});
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_EQ(env->at("CF_DNS_API_TOKEN"), "token-from-a-secret");
  // The variable itself wins over its file.
  env = with_file_variables({{"CF_DNS_API_TOKEN_FILE", path}, {"CF_DNS_API_TOKEN", "direct"}});
  EXPECT_EQ(env->at("CF_DNS_API_TOKEN"), "direct");
  EXPECT_EQ(with_file_variables({{"RFC2136_TSIG_SECRET_FILE", "/nonexistent/secret"}}).error(),
            "RFC2136_TSIG_SECRET_FILE=/nonexistent/secret: cannot be read");
  // A provider configured from files only.
  asio::io_context io;
  EXPECT_TRUE(
      make_dns_provider(io.get_executor(),
                        {"cloudflare", {}, {}, false, false, {}, {{"CF_DNS_API_TOKEN_FILE", path}}})
          .ok());
}

}  // namespace
}  // namespace wharf::controller::acme::dns
