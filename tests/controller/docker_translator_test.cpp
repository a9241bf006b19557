// Label translation against `docker inspect` output captured from a real dockerd (one case
// per file in fixtures/docker/; the containers were created with the labels each test names).

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "controller/compiler/compiler.hpp"
#include "controller/docker/container.hpp"
#include "controller/docker/labels.hpp"
#include "controller/docker/translator.hpp"

namespace wharf::controller::docker {
namespace {

std::vector<Container> fixture(const std::string& name) {
  std::ifstream in(std::string(WHARF_FIXTURES_DIR) + "/docker/" + name + ".json");
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  auto parsed = parse_inspect_array(s.str());
  EXPECT_TRUE(parsed.ok()) << parsed.error();
  return parsed.ok() ? *parsed : std::vector<Container>{};
}

model::ProviderConfig translate_fixture(const std::string& name, TranslatorOptions opt = {}) {
  return translate(fixture(name), opt);
}

const model::ConfigRouter* router(const model::ProviderConfig& c, const std::string& name) {
  for (const auto& r : c.routers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const model::ConfigService* service(const model::ProviderConfig& c, const std::string& name) {
  for (const auto& s : c.services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> urls(const model::ConfigService* s) {
  std::vector<std::string> out;
  if (s) {
    for (const auto& srv : s->servers) out.push_back(srv.url);
  }
  return out;
}

TEST(DockerTranslator, HttpsServersAndATransportFromTheFileProvider) {
  auto containers = fixture("host_network");
  ASSERT_EQ(containers.size(), 1u);
  auto& labels = containers[0].labels;
  labels["wharf.http.services.web.loadbalancer.server.scheme"] = "https";
  labels["wharf.http.services.web.loadbalancer.serverstransport"] = "internal@file";
  auto c = translate(containers, {});
  EXPECT_EQ(urls(service(c, "web")), std::vector<std::string>{"https://127.0.0.1:18080"});
  EXPECT_EQ(service(c, "web")->transport, "internal@file");
  labels["wharf.http.routers.web.tls.certresolver"] = "le";
  labels["wharf.http.routers.web.tls.domains[0].main"] = "example.com";
  labels["wharf.http.routers.web.tls.domains[0].sans"] = "www.example.com, api.example.com";
  labels["wharf.http.routers.web.tls.domains[1].main"] = "other.example";
  c = translate(containers, {});
  ASSERT_NE(router(c, "web"), nullptr);
  EXPECT_EQ(router(c, "web")->cert_resolver, "le");
  EXPECT_EQ(router(c, "web")->cert_domains,
            (std::vector<std::vector<std::string>>{
                {"example.com", "www.example.com", "api.example.com"}, {"other.example"}}));
  // Traefik's h2c: HTTP/2 with prior knowledge (gRPC servers).
  labels["wharf.http.services.web.loadbalancer.server.scheme"] = "h2c";
  c = translate(containers, {});
  EXPECT_EQ(urls(service(c, "web")), std::vector<std::string>{"h2c://127.0.0.1:18080"});
  labels["wharf.http.services.web.loadbalancer.server.scheme"] = "grpc";
  c = translate(containers, {});
  ASSERT_EQ(service(c, "web")->errors.size(), 1u);
  EXPECT_NE(service(c, "web")->errors[0].find("expected http, https or h2c"), std::string::npos);
}

TEST(DockerTranslator, HostNetworkContainerIsReachedOnLoopback) {
  auto c = translate_fixture("host_network");
  ASSERT_EQ(c.routers.size(), 1u);
  EXPECT_EQ(c.routers[0].name, "web");
  EXPECT_EQ(c.routers[0].rule, "Host(`web.localhost`)");
  EXPECT_EQ(c.routers[0].service, "web");
  EXPECT_EQ(urls(service(c, "web")), std::vector<std::string>{"http://127.0.0.1:18080"});
  EXPECT_TRUE(c.diagnostics.empty());
}

// Immich's documented labels, verbatim, under the traefik prefix.
TEST(DockerTranslator, ImmichDocsLabelsWorkUnchangedWithTraefikPrefix) {
  TranslatorOptions opt;
  opt.label_prefixes = {"wharf", "traefik"};
  auto c = translate_fixture("immich_traefik_prefix", opt);
  auto* r = router(c, "immich");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, "Host(`immich.your-domain.com`)");
  EXPECT_EQ(r->entrypoints, std::vector<std::string>{"websecure"});
  EXPECT_EQ(r->service, "immich");
  EXPECT_TRUE(r->errors.empty());
  EXPECT_EQ(urls(service(c, "immich")), std::vector<std::string>{"http://172.17.0.2:2283"});

  // Without the traefik prefix the container is not enabled at all.
  EXPECT_TRUE(translate_fixture("immich_traefik_prefix").routers.empty());
}

TEST(DockerTranslator, ComposeContainerGetsDefaultRouterAndServiceNamedAfterIt) {
  auto c = translate_fixture("compose_default_router");
  ASSERT_EQ(c.routers.size(), 1u);
  EXPECT_EQ(c.routers[0].name, "whoami-demo");  // <service>_<project>, normalized
  EXPECT_EQ(c.routers[0].rule, "Host(`whoami-demo`)");
  EXPECT_EQ(c.routers[0].service, "whoami-demo");
  EXPECT_EQ(urls(service(c, "whoami-demo")), std::vector<std::string>{"http://172.17.0.3:80"});
}

TEST(DockerTranslator, DefaultRuleTemplateFlag) {
  TranslatorOptions opt;
  opt.default_rule =
      "Host(`{{ normalize .Name }}.home.example`) && PathPrefix(`/{{ index .Labels "
      "\"com.docker.compose.project\" }}`)";
  auto c = translate_fixture("compose_default_router", opt);
  ASSERT_EQ(c.routers.size(), 1u);
  EXPECT_EQ(c.routers[0].rule, "Host(`whoami-demo.home.example`) && PathPrefix(`/demo`)");
}

TEST(DockerTranslator, RoutersWithoutServiceLinkToTheOnlyService) {
  auto c = translate_fixture("routers_link_to_only_service");
  ASSERT_EQ(c.routers.size(), 2u);
  for (const auto& r : c.routers) {
    EXPECT_EQ(r.service, "app") << r.name;
    EXPECT_TRUE(r.errors.empty());
  }
  // The label port wins over the exposed 8080.
  EXPECT_EQ(urls(service(c, "app")), std::vector<std::string>{"http://172.18.0.2:9000"});
}

TEST(DockerTranslator, RouterWithoutServiceAmongSeveralServicesIsRejectedAlone) {
  auto c = translate_fixture("router_with_many_services");
  auto* r = router(c, "r");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_NE(r->errors[0].find("several services (one, two)"), std::string::npos) << r->errors[0];
  auto* ok = router(c, "ok");
  ASSERT_NE(ok, nullptr);
  EXPECT_TRUE(ok->errors.empty());
  EXPECT_EQ(ok->service, "one");
  EXPECT_EQ(urls(service(c, "two")), std::vector<std::string>{"http://172.18.0.3:82"});
}

TEST(DockerTranslator, ServiceIsCreatedOnTheLowestExposedTcpPort) {
  auto c = translate_fixture("service_created_lowest_port");  // exposes 8080, 3000, 9090/udp
  ASSERT_EQ(c.routers.size(), 1u);
  EXPECT_EQ(c.routers[0].service, "nosvc");
  EXPECT_EQ(urls(service(c, "nosvc")), std::vector<std::string>{"http://172.18.0.4:3000"});
}

TEST(DockerTranslator, ContainersAreNotExposedUnlessEnabled) {
  EXPECT_EQ(translate_fixture("not_enabled"), model::ProviderConfig{});
  TranslatorOptions opt;
  opt.exposed_by_default = true;
  auto c = translate_fixture("not_enabled", opt);
  ASSERT_EQ(c.routers.size(), 1u);
  EXPECT_EQ(c.routers[0].rule, "Host(`hidden.localhost`)");
}

TEST(DockerTranslator, StoppedPausedAndUnhealthyContainersKeepRoutersWithoutServers) {
  for (const char* name : {"stopped", "paused", "unhealthy"}) {
    auto c = translate_fixture(name);
    ASSERT_EQ(c.routers.size(), 1u) << name;
    EXPECT_TRUE(c.routers[0].errors.empty()) << name;
    auto* s = service(c, name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_TRUE(s->servers.empty()) << name;
    EXPECT_TRUE(s->errors.empty()) << name;
  }
  EXPECT_EQ(urls(service(translate_fixture("healthy"), "healthy")),
            std::vector<std::string>{"http://172.18.0.8:80"});
}

TEST(DockerTranslator, RestartingContainerKeepsItsRoute) {
  auto containers = fixture("healthy");
  containers[0].state = Container::State::kRestarting;
  auto c = translate(containers, {});
  ASSERT_EQ(c.routers.size(), 1u);
  EXPECT_TRUE(service(c, "healthy")->servers.empty());
}

TEST(DockerTranslator, BrokenRuleDisablesOnlyThatRouterNamingLabelAndValue) {
  auto c = translate_fixture("bad_rule");
  auto* broken = router(c, "broken");
  ASSERT_NE(broken, nullptr);
  ASSERT_EQ(broken->errors.size(), 1u);
  EXPECT_EQ(broken->errors[0],
            "label wharf.http.routers.broken.rule=Host(`a.localhost`: column 19: expected ',' or "
            "')', found end of rule");
  auto* fine = router(c, "fine");
  ASSERT_NE(fine, nullptr);
  ASSERT_EQ(fine->errors.size(), 1u);
  EXPECT_EQ(fine->errors[0], "label wharf.http.routers.fine.priority=high: expected an integer");
  EXPECT_TRUE(service(c, "badrule")->errors.empty());
}

TEST(DockerTranslator, BadPortRejectsThatServiceOnly) {
  auto c = translate_fixture("bad_port");
  auto* bad = service(c, "badport");
  ASSERT_NE(bad, nullptr);
  ASSERT_EQ(bad->errors.size(), 1u);
  EXPECT_EQ(bad->errors[0],
            "label wharf.http.services.badport.loadbalancer.server.port=http: expected a port "
            "number between 1 and 65535");
  EXPECT_EQ(urls(service(c, "good")), std::vector<std::string>{"http://172.18.0.10:8080"});
  EXPECT_TRUE(router(c, "good")->errors.empty());
}

TEST(DockerTranslator, NetworkLabelChoosesTheAddress) {
  auto c = translate_fixture("network_label");  // on backend and immich_default
  EXPECT_EQ(urls(service(c, "twonets")), std::vector<std::string>{"http://172.17.0.4:80"});

  auto containers = fixture("network_label");
  containers[0].labels["wharf.docker.network"] = "frontend";
  // A network the container is not on: a warning, and its first network, as Traefik does.
  auto bad = translate(containers, {});
  ASSERT_EQ(bad.services.size(), 1u);
  EXPECT_TRUE(bad.services[0].errors.empty());
  EXPECT_EQ(urls(&bad.services[0]), std::vector<std::string>{"http://172.18.0.11:80"});  // backend
  ASSERT_EQ(bad.diagnostics.size(), 1u);
  EXPECT_TRUE(bad.diagnostics[0].warning);
  EXPECT_EQ(bad.diagnostics[0].message,
            "label wharf.docker.network=frontend: the container is not on that network (its "
            "networks: backend, immich_default); reached on backend, as Traefik does");

  // The flag is a preference: containers not on that network use their first one.
  containers[0].labels.erase("wharf.docker.network");
  TranslatorOptions opt;
  opt.network = "immich_default";
  EXPECT_EQ(urls(service(translate(containers, opt), "twonets")),
            std::vector<std::string>{"http://172.17.0.4:80"});
  opt.network = "elsewhere";
  EXPECT_EQ(urls(service(translate(containers, opt), "twonets")),
            std::vector<std::string>{"http://172.18.0.11:80"});
}

TEST(DockerTranslator, LabelKeysAreCaseInsensitiveNamesKeepTheirCase) {
  auto c = translate_fixture("mixed_case_keys");
  auto* r = router(c, "Mixed");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, "Host(`mixed.localhost`)");
  EXPECT_EQ(r->entrypoints, (std::vector<std::string>{"web", "websecure"}));
  auto* s = service(c, "Mixed");
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->pass_host_header);
  EXPECT_EQ(urls(s), std::vector<std::string>{"http://172.18.0.12:8088"});
}

TEST(DockerTranslator, ScaledComposeServiceMergesServers) {
  auto c = translate_fixture("compose_scaled");
  ASSERT_EQ(c.routers.size(), 1u);
  EXPECT_EQ(c.routers[0].service, "api-shop");
  EXPECT_TRUE(c.routers[0].errors.empty());
  EXPECT_EQ(urls(service(c, "api-shop")),
            (std::vector<std::string>{"http://172.18.0.13:80", "http://172.18.0.14:80"}));
}

TEST(DockerTranslator, SameRouterDefinedDifferentlyIsRejectedNamingBothContainers) {
  auto a = fixture("compose_scaled");
  auto b = fixture("routers_link_to_only_service");  // also defines router "api"
  a.insert(a.end(), b.begin(), b.end());
  auto c = translate(a, {});
  auto* r = router(c, "api");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_EQ(r->errors[0], "defined differently by container scaled-1 and container twoRouters");
  EXPECT_TRUE(router(c, "ui")->errors.empty());
}

TEST(DockerTranslator, MiddlewaresAreReadBesideATcpRouter) {
  auto c = translate_fixture("middlewares_and_tcp");
  auto* r = router(c, "mw");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->middlewares, (std::vector<std::string>{"strip", "auth@file"}));
  EXPECT_TRUE(r->tls);
  EXPECT_EQ(r->cert_resolver, "le");
  ASSERT_EQ(c.middlewares.size(), 1u);
  EXPECT_EQ(c.middlewares[0].type, "stripprefix");
  EXPECT_EQ(c.middlewares[0].options,
            (std::vector<std::pair<std::string, std::string>>{{"prefixes", "/app"}}));
  EXPECT_TRUE(c.diagnostics.empty());
  // The TCP router names no service and the container defines no TCP one: as Traefik, one is
  // made with the container's name on its exposed port.
  ASSERT_EQ(c.tcp_routers.size(), 1u);
  EXPECT_EQ(c.tcp_routers[0].service, "mw");
  ASSERT_EQ(c.tcp_services.size(), 1u);
  EXPECT_EQ(c.tcp_services[0].name, "mw");
  ASSERT_EQ(c.tcp_services[0].servers.size(), 1u);
  EXPECT_EQ(c.tcp_services[0].servers[0].address, "172.18.0.15:80");

  // Compiled: strip@docker is fine, but auth@file does not exist, and a router is never
  // served without a middleware it names.
  auto table = compiler::compile({{"docker", c}});
  EXPECT_TRUE(table.routers.empty());
  EXPECT_EQ(table.services.size(), 1u);
  EXPECT_EQ(table.tcp_routers.size(), 1u);
  ASSERT_EQ(table.middlewares.size(), 1u);
  EXPECT_EQ(table.middlewares[0].name, "strip@docker");
  ASSERT_EQ(table.diagnostics.size(), 1u);
  EXPECT_EQ(table.diagnostics[0].message, "uses middleware auth@file, which does not exist");
}

TEST(DockerTranslator, MalformedEnableLabelIsReported) {
  auto containers = fixture("host_network");
  containers[0].labels["wharf.enable"] = "yes";
  auto c = translate(containers, {});
  EXPECT_TRUE(c.routers.empty());
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.diagnostics[0].message, "label wharf.enable=yes: expected true or false");
  EXPECT_TRUE(wants_routing(containers[0].labels, {}));  // inspected so the error is seen
}

TEST(DockerTranslator, StickySessionsAndStrategyLabels) {
  auto containers = fixture("host_network");
  auto& l = containers[0].labels;
  l["wharf.http.services.web.loadbalancer.sticky.cookie.name"] = "srv";
  l["wharf.http.services.web.loadbalancer.sticky.cookie.secure"] = "true";
  l["wharf.http.services.web.loadbalancer.sticky.cookie.samesite"] = "Strict";
  l["wharf.http.services.web.loadbalancer.sticky.cookie.maxage"] = "600";
  l["wharf.http.services.web.loadbalancer.strategy"] = "p2c";
  l["wharf.http.services.web.loadbalancer.healthcheck.path"] = "/health";
  l["wharf.http.services.web.loadbalancer.healthcheck.interval"] = "10s";
  l["wharf.http.services.web.loadbalancer.healthcheck.timeout"] = "500ms";
  l["wharf.http.services.web.loadbalancer.healthcheck.headers.X-Probe"] = "wharf";
  auto c = translate(containers, {});
  ASSERT_EQ(c.services.size(), 1u);
  ASSERT_TRUE(c.services[0].sticky);
  EXPECT_EQ(c.services[0].sticky->name, "srv");
  EXPECT_TRUE(c.services[0].sticky->secure);
  EXPECT_EQ(c.services[0].sticky->same_site, "strict");
  EXPECT_EQ(c.services[0].sticky->max_age, 600);
  EXPECT_EQ(c.services[0].strategy, "p2c");
  ASSERT_TRUE(c.services[0].health_check);
  EXPECT_EQ(c.services[0].health_check->path, "/health");
  EXPECT_EQ(c.services[0].health_check->interval_ms, 10'000u);
  EXPECT_EQ(c.services[0].health_check->timeout_ms, 500u);
  EXPECT_EQ(c.services[0].health_check->headers,
            (std::vector<std::pair<std::string, std::string>>{{"x-probe", "wharf"}}));
  auto table = compiler::compile({{"docker", c}});
  ASSERT_EQ(table.services.size(), 1u);
  EXPECT_EQ(table.services[0].sticky, c.services[0].sticky);

  // A bad value rejects that service (and its routers), naming the label or the option.
  l["wharf.http.services.web.loadbalancer.sticky.cookie.secure"] = "yes";
  l["wharf.http.services.web.loadbalancer.strategy"] = "random";
  l["wharf.http.services.web.loadbalancer.healthcheck.interval"] = "soon";
  c = translate(containers, {});
  table = compiler::compile({{"docker", c}});
  EXPECT_TRUE(table.services.empty());
  ASSERT_FALSE(table.diagnostics.empty());
  std::string why;
  for (const auto& d : table.diagnostics) {
    if (d.kind == "service") why = d.message;
  }
  EXPECT_EQ(why,
            "label wharf.http.services.web.loadbalancer.healthcheck.interval=soon: expected a "
            "duration such as 10s or 500ms; label "
            "wharf.http.services.web.loadbalancer.sticky.cookie.secure=yes: expected true "
            "or false; container web-host: strategy 'random': expected wrr or p2c");
}

TEST(DockerTranslator, FirstPrefixWinsAndUnknownOptionsAreErrors) {
  auto containers = fixture("host_network");
  containers[0].labels["traefik.http.routers.web.rule"] = "Host(`traefik.localhost`)";
  containers[0].labels["wharf.http.routers.web.middleware"] = "typo";
  TranslatorOptions opt;
  opt.label_prefixes = {"wharf", "traefik"};
  auto c = translate(containers, opt);
  ASSERT_EQ(c.routers.size(), 1u);
  EXPECT_EQ(c.routers[0].rule, "Host(`web.localhost`)");
  ASSERT_EQ(c.routers[0].errors.size(), 1u);
  EXPECT_EQ(c.routers[0].errors[0],
            "label wharf.http.routers.web.middleware=typo: unknown router option 'middleware'");
}

TEST(DockerTranslator, OutputDoesNotDependOnContainerOrder) {
  auto a = fixture("compose_scaled");
  auto b = a;
  std::swap(b[0], b[1]);
  EXPECT_EQ(translate(a, {}), translate(b, {}));
}

TEST(DockerTranslator, LabelsNormalizeAndTemplates) {
  EXPECT_EQ(normalize_name("/whoami_demo"), "whoami-demo");
  EXPECT_EQ(normalize_name("__a..b--c__"), "a-b-c");
  auto bad = expand_default_rule("Host(`{{ .Unknown }}`)", "x", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("unsupported template action"), std::string::npos);
  EXPECT_EQ(*expand_default_rule("Host(`{{ .Name }}`)", "My_App", {}), "Host(`My_App`)");
  // Functions before the value, innermost applied first, as in Go templates.
  EXPECT_EQ(*expand_default_rule("Host(`{{ lower .Name }}.lan`)", "My_App", {}),
            "Host(`my_app.lan`)");
  EXPECT_EQ(*expand_default_rule("Host(`{{ upper (normalize .Name) }}`)", "my_app", {}),
            "Host(`MY-APP`)");
  EXPECT_EQ(*expand_default_rule(
                "Host(`{{ lower (index .Labels \"com.docker.compose.service\") }}.example.com`)",
                "x", {{"com.docker.compose.service", "Web"}}),
            "Host(`web.example.com`)");
}

// providers.docker.constraints: Traefik's Label/LabelRegex expressions over all of a
// container's labels decide whether it is considered at all.
TEST(DockerTranslator, ConstraintsMatchLabelsAsTraefikDoes) {
  auto c = Constraints::parse(
      "Label(`com.docker.compose.project`, `media`) && !LabelRegex(`tier`, `^int`) || "
      "Label(`traefik.tags`, `public`)");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->matches({{"com.docker.compose.project", "media"}}));
  EXPECT_FALSE(c->matches({{"com.docker.compose.project", "media"}, {"tier", "internal"}}));
  EXPECT_TRUE(c->matches({{"traefik.tags", "public"}, {"tier", "internal"}}));
  EXPECT_FALSE(c->matches({{"com.docker.compose.project", "Media"}}));  // values are exact
  EXPECT_FALSE(c->matches({}));
  EXPECT_FALSE(Constraints::parse("Tag(`x`)").ok());
  EXPECT_FALSE(Constraints::parse("Label(`x`").ok());
  // Text inside quotes is not a matcher name.
  EXPECT_TRUE(Constraints::parse("Label(`Host`, `Tag`)").ok());

  TranslatorOptions opt;
  opt.exposed_by_default = true;
  ASSERT_TRUE(set_constraints(opt, "Label(`expose`, `yes`)").ok());
  EXPECT_TRUE(wants_routing({{"expose", "yes"}}, opt));
  EXPECT_FALSE(wants_routing({{"traefik.enable", "true"}}, opt));
}

}  // namespace
}  // namespace wharf::controller::docker
