#include <gtest/gtest.h>

#include "ipc/frame.hpp"
#include "ipc/messages.hpp"

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
  return t;
}

TEST(Ipc, MessagesRoundTrip) {
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
  EXPECT_TRUE(model::validate(t).ok());
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
  t.transports[0].key_pem = "key";
  EXPECT_EQ(model::validate(t).error(),
            "servers transport 'internal@file': a client certificate needs its key");
  t = sample();
  t.services.push_back(t.services[0]);
  EXPECT_EQ(model::validate(t).error(), "service 'app@file' is defined twice");
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
