#include <gtest/gtest.h>

#include "controller/compiler/compiler.hpp"
#include "controller/file/file_translator.hpp"

namespace wharf::controller::file {
namespace {

// A Traefik v3 dynamic.yml as people write it (mixed key case, comments, flow lists).
constexpr const char* kTraefikDynamic = R"yaml(# from a Traefik setup
http:
  routers:
    jellyfin:
      rule: "Host(`jellyfin.home.example`)"
      entryPoints:
        - websecure
      service: jellyfin
      priority: 100
      tls:
        certResolver: letsencrypt
    api:
      rule: Host(`api.example`) && PathPrefix(`/v1`)
      service: api
      middlewares: [strip-v1]
  services:
    jellyfin:
      loadBalancer:
        servers:
          - url: "http://192.168.1.20:8096"
        passHostHeader: false
    api:
      LoadBalancer:
        servers:
          - url: http://127.0.0.1:9001
            weight: 3
          - url: http://127.0.0.1:9002
  middlewares:
    strip-v1:
      stripPrefix:
        prefixes:
          - /v1
tls:
  certificates:
    - certFile: /certs/a.crt
      keyFile: /certs/a.key
)yaml";

TEST(FileTranslator, ReadsTraefikDynamicConfiguration) {
  auto c = translate(kTraefikDynamic, "dynamic.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->routers.size(), 2u);
  const auto& jf = c->routers[0];
  EXPECT_EQ(jf.name, "jellyfin");
  EXPECT_EQ(jf.rule, "Host(`jellyfin.home.example`)");
  EXPECT_EQ(jf.entrypoints, std::vector<std::string>{"websecure"});
  EXPECT_EQ(jf.priority, 100);
  EXPECT_TRUE(jf.tls);
  EXPECT_EQ(jf.cert_resolver, "letsencrypt");
  EXPECT_EQ(jf.source, "dynamic.yml:4");
  EXPECT_TRUE(jf.errors.empty());
  EXPECT_EQ(c->routers[1].middlewares, std::vector<std::string>{"strip-v1"});

  ASSERT_EQ(c->services.size(), 2u);
  EXPECT_FALSE(c->services[0].pass_host_header);
  ASSERT_EQ(c->services[1].servers.size(), 2u);
  EXPECT_EQ(c->services[1].servers[0].url, "http://127.0.0.1:9001");
  EXPECT_EQ(c->services[1].servers[0].weight, 3u);
  ASSERT_EQ(c->middlewares.size(), 1u);
  EXPECT_EQ(c->middlewares[0].type, "stripprefix");
  EXPECT_EQ(c->middlewares[0].options,
            (std::vector<std::pair<std::string, std::string>>{{"prefixes", "/v1"}}));
  EXPECT_TRUE(c->diagnostics.empty());
}

TEST(FileTranslator, SyntaxErrorNamesLineAndColumn) {
  auto c = translate("http:\n  routers:\n    a: {rule: \"Host(`a`)\"\n", "dynamic.yml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().rfind("dynamic.yml:4:1: ", 0), 0u) << c.error();
}

TEST(FileTranslator, BadObjectsCarryTheirLineAndTheRestIsKept) {
  auto c = translate(R"yaml(http:
  routers:
    good:
      rule: Host(`good.example`)
      service: s
    badrule:
      rule: Host(`x`
      service: s
    typo:
      rule: Host(`t.example`)
      servce: s
  services:
    s:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:1
    https:
      loadBalancer:
        servers:
          - url: https://10.0.0.1
    weighted:
      weighted:
        services: []
)yaml",
                     "dyn.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->routers.size(), 3u);
  EXPECT_TRUE(c->routers[0].errors.empty());
  ASSERT_EQ(c->routers[1].errors.size(), 1u);
  EXPECT_EQ(
      c->routers[1].errors[0],
      "dyn.yml:7: http.routers.badrule.rule: column 9: expected ',' or ')', found end of rule");
  ASSERT_EQ(c->routers[2].errors.size(), 1u);
  EXPECT_EQ(c->routers[2].errors[0], "dyn.yml:11: http.routers.typo.servce: unknown router option");
  ASSERT_EQ(c->services.size(), 3u);
  EXPECT_TRUE(c->services[0].errors.empty());
  ASSERT_EQ(c->services[1].errors.size(), 1u);
  EXPECT_EQ(c->services[1].errors[0],
            "dyn.yml:20: http.services.https.loadBalancer.servers: server url 'https://10.0.0.1': "
            "only http:// is supported");
  EXPECT_EQ(
      c->services[2].errors[0],
      "dyn.yml:22: http.services.weighted.weighted: only loadBalancer services are supported");

  auto table = compiler::compile({{"file", *c}});
  ASSERT_EQ(table.routers.size(), 1u);
  EXPECT_EQ(table.routers[0].name, "good@file");
  EXPECT_EQ(table.diagnostics.size(), 4u);
}

TEST(FileTranslator, EmptyFileIsEmptyConfigAndNonMappingIsAnError) {
  auto empty = translate("# nothing yet\n", "d.yml");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, model::ProviderConfig{});
  EXPECT_FALSE(translate("- a\n- b\n", "d.yml").ok());
}

TEST(FileTranslator, TcpSectionIsReportedNotSilentlyDropped) {
  auto c = translate("tcp:\n  routers: {}\n", "d.yml");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->diagnostics.size(), 1u);
  EXPECT_EQ(c->diagnostics[0].message,
            "d.yml:2: tcp: TCP and UDP routing is not supported; section ignored");
}

}  // namespace
}  // namespace wharf::controller::file
