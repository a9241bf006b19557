#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <set>
#include <sstream>

#include "ipc/frame.hpp"
#include "ipc/messages.hpp"
#include "ipc/table_schema.hpp"

namespace wharf::ipc {
namespace {

model::RoutingTable sample() {
  model::RoutingTable t;
  t.version = 42;
  t.entrypoints.push_back({"web", {1000, 2000, 3000}, {"websecure", "https", false}});
  t.entrypoints.push_back({"websecure", {}, {}});
  t.middlewares.push_back(
      {"a@file", "headers", {{"customrequestheaders.x-a", "1"}, {"framedeny", "true"}}});
  t.routers.push_back(
      {"app@file", "Host(`app.local`)", 7, {"web"}, "app@file", true, {"a@file"}, {}});
  model::Service s;
  s.name = "app@file";
  s.servers = {{"http://127.0.0.1:8080", 3}, {"http://[::1]:8081", 1}, {"", 2, true}};
  s.pass_host_header = false;
  s.timeouts.tunnel_idle_ms = 5;
  s.strategy = "p2c";
  s.sticky = model::StickyCookie{"srv", true, true, "lax", 60, "/app"};
  s.health_check.emplace();
  s.health_check->path = "/health";
  s.health_check->scheme = "https";
  s.transport = "internal@file";
  t.services.push_back(s);
  t.transports.push_back({"internal@file",
                          "backend.internal",
                          false,
                          {"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
                          "",
                          ""});
  t.diagnostics.push_back({"router", "bad@docker", "column 3: expected ')'"});
  t.certificate_status.push_back({"dns",
                                  {"*.home.example", "home.example"},
                                  "wild@file",
                                  "dns-_.home.example@acme",
                                  "failing",
                                  "zone home.example: REFUSED",
                                  1800000000,
                                  1800000060});
  // Every collection and optional part filled, so the round trip covers every field.
  t.routers[0].tls_options = "mtls@file";
  t.services[0].health_check->headers = {{"x-probe", "1"}};
  t.services[0].health_check->port = 8081;
  t.services[0].health_check->status = 204;
  model::Service internal;
  internal.name = "api@internal";
  internal.internal = "api";
  t.services.push_back(internal);
  t.transports[0].insecure_skip_verify = true;
  t.transports[0].cert_pem = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
  t.transports[0].key_pem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
  t.transports[0].disable_http2 = true;
  t.certificates.push_back({"web@file", {"a.example", "*.b.example"}, "CERT", "KEY", true});
  t.tls_options.push_back({"mtls@file",
                           "1.3",
                           "1.3",
                           {"TLS_AES_128_GCM_SHA256"},
                           {"X25519"},
                           true,
                           "require_and_verify",
                           {"CA"}});
  t.acme_challenges.push_back({"tok_en-1", "tok_en-1.thumb", "", "", ""});
  t.acme_challenges.push_back({"", "", "alpn.example", "ACERT", "AKEY"});
  t.diagnostics.push_back({"ingress", "default/x", "partly supported", true});
  t.tcp_routers.push_back({"ssh@file", "HostSNI(`*`)", 0, {"ssh"}, "ssh@file", "", ""});
  t.tcp_routers.push_back(
      {"imaps@file", "HostSNI(`mail.example.com`)", 5, {}, "ssh@file", "terminate", "mtls@file"});
  t.tcp_services.push_back({"ssh@file", {{"127.0.0.1:2222", 2}, {"[::1]:2223", 1}}, 2});
  t.udp_routers.push_back({"dns@file", {"dns"}, "dns@file"});
  t.udp_services.push_back({"dns@file", {{"127.0.0.1:53", 1}}});
  return t;
}

TEST(Ipc, MessagesRoundTrip) {
  const auto t = sample();
  for (std::size_t n :
       {t.entrypoints.size(), t.routers.size(), t.services.size(), t.middlewares.size(),
        t.certificates.size(), t.transports.size(), t.tls_options.size(), t.acme_challenges.size(),
        t.certificate_status.size(), t.diagnostics.size(), t.tcp_routers.size(),
        t.tcp_services.size(), t.udp_routers.size(), t.udp_services.size()}) {
    EXPECT_GT(n, 0u) << "the sample leaves a collection empty";
  }
  auto apply = decode(encode(Apply{42, sample()}));
  ASSERT_TRUE(apply.ok()) << apply.error();
  EXPECT_EQ(std::get<Apply>(*apply).table, sample());
  auto ack = decode(encode(Ack{9}));
  EXPECT_EQ(std::get<Ack>(*ack).version, 9u);
  auto nack = decode(encode(Nack{9, "router 'x': bad"}));
  EXPECT_EQ(std::get<Nack>(*nack).reason, "router 'x': bad");
  auto table = decode_table(encode_table(sample()));
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(*table, sample());
}

// Every field of the wire schema as a JSON path: "services[].sticky.cookie.name".
struct FieldLister {
  std::set<std::string> paths;
  std::string prefix;

  template <typename T>
  void field(const char* key, T&, schema::Use) {
    paths.insert(prefix + key);
  }
  template <typename T>
  void object(const char* key, T& v, bool = true) {
    nest(prefix + key + ".", v);
  }
  template <typename T>
  void optional(const char* key, std::optional<T>&, const char* inner = nullptr) {
    T v;
    nest(prefix + key + "." + (inner ? std::string(inner) + "." : ""), v);
  }
  template <typename T>
  void list(const char* key, std::vector<T>&, schema::Use) {
    T v;
    nest(prefix + key + "[].", v);
  }
  template <typename T>
  void nest(std::string p, T& v) {
    std::swap(prefix, p);
    schema::fields(*this, v);
    std::swap(prefix, p);
  }
};

// The paths of a JSON example; a value at a path the schema has as one field (an object of
// strings, a list) is not looked into.
void example_paths(const rapidjson::Value& v, const std::string& prefix,
                   const std::set<std::string>& fields, std::set<std::string>& out) {
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const std::string path = prefix + m->name.GetString();
    const auto& value = m->value;
    if (value.IsArray() && value.Empty() && !fields.count(path)) continue;  // Shows nothing.
    if (fields.count(path) || !(value.IsObject() || (value.IsArray() && !value.Empty() &&
                                                     value.GetArray()[0].IsObject()))) {
      out.insert(path);
    } else if (value.IsObject()) {
      example_paths(value, path + ".", fields, out);
    } else {
      for (const auto& e : value.GetArray()) example_paths(e, path + "[].", fields, out);
    }
  }
}

// docs/routing-table.md's example table shows every field the codec writes and reads, and
// nothing else.
TEST(Ipc, TheDocumentedTableHasExactlyTheSchemasFields) {
  FieldLister schema_fields;
  model::RoutingTable t;
  schema::fields(schema_fields, t);
  EXPECT_GT(schema_fields.paths.size(), 80u);

  std::ifstream in(std::string(WHARF_SOURCE_DIR) + "/docs/routing-table.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const auto section = text.find("## The table");
  ASSERT_NE(section, std::string::npos);
  const auto start = text.find("```json\n", section);
  ASSERT_NE(start, std::string::npos);
  const auto end = text.find("```", start + 8);
  const std::string example = text.substr(start + 8, end - start - 8);
  rapidjson::Document json;
  json.Parse(example.c_str());
  ASSERT_FALSE(json.HasParseError()) << "offset " << json.GetErrorOffset();
  std::set<std::string> documented;
  example_paths(json, "", schema_fields.paths, documented);

  for (const auto& f : schema_fields.paths) {
    EXPECT_TRUE(documented.count(f)) << f << " is not in docs/routing-table.md's example";
  }
  for (const auto& f : documented) {
    EXPECT_TRUE(schema_fields.paths.count(f)) << f << " is documented but not in the schema";
  }
  // And the table below it names each collection.
  std::set<std::string> tops;
  for (const auto& f : schema_fields.paths) tops.insert(f.substr(0, f.find_first_of(".[")));
  for (const auto& top : tops) {
    EXPECT_NE(text.find("| `" + top), std::string::npos) << top << " has no row";
  }
}

TEST(Ipc, DecodeErrorsNameThePath) {
  EXPECT_EQ(decode("{").error().rfind("invalid JSON at offset 1", 0), 0u);
  EXPECT_EQ(decode(R"({"type":"zap"})").error(),
            "$.type: unknown message type 'zap' (expected apply, ack or nack)");
  EXPECT_EQ(decode(R"({"type":"apply","version":1})").error(), "$.table: is required");
  EXPECT_EQ(
      decode(R"({"type":"apply","version":1,"table":{"routers":[{"name":"a","rule":5}]}})").error(),
      "$.table.routers[0].rule: expected a string");
  EXPECT_EQ(decode(R"({"type":"apply","table":{"services":[{"name":"s","servers":[{"url":"x",
            "weight":-1}]}]}})")
                .error(),
            "$.table.services[0].servers[0].weight: expected a non-negative integer in range");
}

TEST(Ipc, ValidateRefusesInconsistentTables) {
  auto t = sample();
  EXPECT_TRUE(model::validate(t).ok()) << model::validate(t).error();
  t.routers[0].service = "missing@file";
  EXPECT_EQ(model::validate(t).error(),
            "router 'app@file' uses service 'missing@file', which is not defined");
  t = sample();
  t.routers[0].rule = "Host(";
  EXPECT_EQ(model::validate(t).error().rfind("router 'app@file': column 6", 0), 0u);
  t = sample();
  t.services[0].servers[0].url = "ftp://x";
  EXPECT_EQ(model::validate(t).error(),
            "service 'app@file': server url 'ftp://x': expected http://, https:// or h2c://");
  t = sample();
  t.transports.clear();
  EXPECT_EQ(model::validate(t).error(),
            "service 'app@file' uses servers transport 'internal@file', which is not defined");
  t = sample();
  t.transports[0].key_pem.clear();
  EXPECT_EQ(model::validate(t).error(),
            "servers transport 'internal@file': a client certificate needs its key");
  t = sample();
  t.services.push_back(t.services[0]);
  EXPECT_EQ(model::validate(t).error(), "service 'app@file' is defined twice");
}

TEST(Ipc, ValidateRefusesInconsistentTcpAndUdpRoutes) {
  const std::pair<void (*)(model::RoutingTable&), const char*> cases[] = {
      {[](model::RoutingTable& t) { t.tcp_routers[0].service = "gone@file"; },
       "tcp router 'ssh@file' uses tcp service 'gone@file', which is not defined"},
      {[](model::RoutingTable& t) { t.tcp_routers[0].rule = "Host(`a`)"; },
       "tcp router 'ssh@file': column 1: unknown matcher 'Host' (expected one of HostSNI, "
       "HostSNIRegexp, ClientIP, ALPN)"},
      {[](model::RoutingTable& t) { t.tcp_routers[0].tls = "yes"; },
       "tcp router 'ssh@file': tls 'yes': expected terminate, passthrough or nothing"},
      {[](model::RoutingTable& t) { t.tcp_routers[1].tls = "passthrough"; },
       "tcp router 'imaps@file': tls_options need tls terminate"},
      {[](model::RoutingTable& t) { t.tcp_routers[1].tls_options = "none@file"; },
       "tcp router 'imaps@file' uses TLS options 'none@file', which are not defined"},
      {[](model::RoutingTable& t) { t.tcp_services[0].servers[0].address = "127.0.0.1"; },
       "tcp service 'ssh@file': server address '127.0.0.1': expected host:port or [IPv6]:port"},
      {[](model::RoutingTable& t) { t.tcp_services[0].servers[1].address = "[::1]:0"; },
       "tcp service 'ssh@file': server address '[::1]:0': bad port '0'"},
      {[](model::RoutingTable& t) { t.tcp_services[0].proxy_protocol = 3; },
       "tcp service 'ssh@file': proxy_protocol 3: expected 1 or 2 (0: none)"},
      {[](model::RoutingTable& t) { t.udp_routers.push_back(t.udp_routers[0]); },
       "udp router 'dns@file' is defined twice"},
      {[](model::RoutingTable& t) { t.udp_routers[0].service = "ssh@file"; },
       "udp router 'dns@file' uses udp service 'ssh@file', which is not defined"},
  };
  for (const auto& [breaks, why] : cases) {
    auto t = sample();
    breaks(t);
    EXPECT_EQ(model::validate(t).error(), why);
  }
}

TEST(Ipc, FrameDecoderHandlesSplitsAndLimits) {
  std::string wire = encode_frame("hello") + encode_frame("") + encode_frame("world");
  FrameDecoder d;
  std::vector<std::string> got;
  for (char c : wire) {  // One byte at a time: the worst split a socket can produce.
    d.feed(std::string_view(&c, 1));
    for (;;) {
      auto f = d.next();
      ASSERT_TRUE(f.ok());
      if (!*f) break;
      got.push_back(**f);
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"hello", "", "world"}));

  FrameDecoder small(4);
  small.feed(encode_frame("too long"));
  auto f = small.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error(), "control frame of 8 bytes exceeds the limit of 4");
}

}  // namespace
}  // namespace wharf::ipc
