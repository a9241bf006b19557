#include <gtest/gtest.h>

#include "controller/compiler/compiler.hpp"
#include "controller/compiler/entrypoint_models.hpp"
#include "model/routing_table.hpp"

namespace wharf::controller::compiler {
namespace {

model::ConfigRouter router(std::string name, std::string rule, std::string service) {
  model::ConfigRouter r;
  r.name = std::move(name);
  r.rule = std::move(rule);
  r.service = std::move(service);
  return r;
}

model::ConfigService service(std::string name, std::string url = "http://127.0.0.1:9") {
  model::ConfigService s;
  s.name = std::move(name);
  if (!url.empty()) s.servers.push_back({url, 1});
  return s;
}

TEST(Compiler, QualifiesNamesAndResolvesCrossProviderReferences) {
  model::ProviderConfig docker, file;
  docker.routers.push_back(router("app", "Host(`app`)", "app"));
  docker.routers.push_back(router("shared", "Host(`shared`)", "common@file"));
  docker.services.push_back(service("app"));
  file.services.push_back(service("common"));
  auto t = compile({{"docker", docker}, {"file", file}});
  ASSERT_EQ(t.routers.size(), 2u);
  EXPECT_EQ(t.routers[0].name, "app@docker");
  EXPECT_EQ(t.routers[0].service, "app@docker");
  EXPECT_EQ(t.routers[1].service, "common@file");
  EXPECT_TRUE(t.diagnostics.empty());
  EXPECT_TRUE(model::validate(t).ok());
}

TEST(Compiler, RejectsOnlyTheObjectsThatAreWrong) {
  model::ProviderConfig p;
  p.routers.push_back(router("ok", "Host(`ok`)", "s"));
  p.routers.push_back(router("missing", "Host(`m`)", "nope"));
  p.routers.push_back(router("to-bad", "Host(`b`)", "bad"));
  p.routers.push_back(router("other-provider", "Host(`o`)", "x@kubernetes"));
  auto own = router("own-error", "Host(`e`)", "s");
  own.errors.push_back("label x=y: broken");
  p.routers.push_back(own);
  auto mw = router("with-mw", "Host(`w`)", "s");
  mw.middlewares = {"auth@file"};
  p.routers.push_back(mw);
  p.services.push_back(service("s"));
  auto bad = service("bad");
  bad.errors.push_back("label port=http: not a port");
  p.services.push_back(bad);
  auto t = compile({{"docker", p}});
  ASSERT_EQ(t.routers.size(), 1u);
  EXPECT_EQ(t.routers[0].name, "ok@docker");
  std::vector<std::string> got;
  for (const auto& d : t.diagnostics) got.push_back(d.kind + " " + d.name + ": " + d.message);
  EXPECT_EQ(got,
            (std::vector<std::string>{
                "router missing@docker: uses service nope@docker, which does not exist",
                "router other-provider@docker: uses service x@kubernetes, which does not exist",
                "router own-error@docker: label x=y: broken",
                "router to-bad@docker: uses service bad@docker, which was rejected",
                "router with-mw@docker: uses middleware auth@file, which does not exist",
                "service bad@docker: label port=http: not a port",
            }));
  EXPECT_EQ(rejected_by_kind(t),
            (std::map<std::string, std::size_t>{{"router", 5}, {"service", 1}}));
}

TEST(Compiler, ServiceWithoutServersIsKeptSoItsHostsAnswer503) {
  model::ProviderConfig p;
  p.routers.push_back(router("stopped", "Host(`s`)", "stopped"));
  p.services.push_back(service("stopped", ""));
  auto t = compile({{"docker", p}});
  ASSERT_EQ(t.routers.size(), 1u);
  ASSERT_EQ(t.services.size(), 1u);
  EXPECT_TRUE(t.services[0].servers.empty());
}

TEST(Compiler, UnknownMiddlewareTypeIsRejected) {
  model::ProviderConfig p;
  model::ConfigMiddleware m;
  m.name = "m";
  m.type = "nosuchthing";
  p.middlewares.push_back(m);
  auto t = compile({{"file", p}});
  ASSERT_EQ(t.diagnostics.size(), 1u);
  EXPECT_EQ(t.diagnostics[0].message, "unknown middleware type 'nosuchthing'");
}

model::ConfigMiddleware middleware(std::string name, std::string type,
                                   std::vector<std::pair<std::string, std::string>> options) {
  model::ConfigMiddleware m;
  m.name = std::move(name);
  m.type = std::move(type);
  m.options = std::move(options);
  m.source = "container app-1";
  return m;
}

TEST(Compiler, MiddlewaresAreCheckedAndOnlyRoutersUsingABadOneAreRejected) {
  model::ProviderConfig p;
  p.services.push_back(service("s"));
  p.middlewares.push_back(middleware("hsts", "headers", {{"stsseconds", "300"}}));
  p.middlewares.push_back(middleware("auth", "basicauth", {{"users", "bob:plaintext"}}));
  p.middlewares.push_back(middleware("fa", "grpcweb", {}));
  p.middlewares.push_back(middleware("loop", "chain", {{"middlewares", "hsts,loop"}}));
  p.middlewares.push_back(middleware("secure", "chain", {{"middlewares", "hsts,strip@file"}}));
  auto ok = router("ok", "Host(`ok`)", "s");
  ok.middlewares = {"secure", "hsts"};
  auto with_auth = router("with-auth", "Host(`a`)", "s");
  with_auth.middlewares = {"hsts", "auth"};
  auto with_fa = router("with-fa", "Host(`f`)", "s");
  with_fa.middlewares = {"fa"};
  auto looping = router("looping", "Host(`l`)", "s");
  looping.middlewares = {"loop"};
  for (const auto& r : {ok, with_auth, with_fa, looping}) p.routers.push_back(r);
  model::ProviderConfig file;
  file.middlewares.push_back(middleware("strip", "stripprefix", {{"prefixes", "/x"}}));
  auto t = compile({{"docker", p}, {"file", file}});
  ASSERT_EQ(t.routers.size(), 1u);
  EXPECT_EQ(t.routers[0].middlewares, (std::vector<std::string>{"secure@docker", "hsts@docker"}));
  std::vector<std::string> names;
  for (const auto& m : t.middlewares) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"hsts@docker", "loop@docker", "secure@docker",
                                             "strip@file"}));
  std::map<std::string, std::string> why;
  for (const auto& d : t.diagnostics) why[d.kind + " " + d.name] = d.message;
  EXPECT_EQ(why["middleware auth@docker"],
            "container app-1: basicauth.users: user 'bob': unsupported hash (use bcrypt, $apr1$, "
            "$1$, $5$, $6$ or {SHA}; plain text is refused)");
  EXPECT_TRUE(why["middleware fa@docker"].starts_with(
      "container app-1: middleware type 'grpcweb' is not implemented"))
      << why["middleware fa@docker"];
  EXPECT_EQ(why["router with-auth@docker"], "uses middleware auth@docker, which was rejected");
  EXPECT_EQ(why["router with-fa@docker"], "uses middleware fa@docker, which was rejected");
  EXPECT_EQ(why["router looping@docker"], "uses chain cycle: loop@docker → loop@docker");
  EXPECT_TRUE(model::validate(t).ok()) << model::validate(t).error();
}

TEST(Compiler, AnErrorsMiddlewareNeedsAServiceThatMadeItIntoTheTable) {
  model::ProviderConfig docker, file;
  docker.services.push_back(service("app"));
  docker.services.push_back(service("broken"));
  docker.services.back().errors.push_back("label port=x: not a port");
  docker.middlewares.push_back(
      middleware("pages", "errors", {{"status", "500-599"}, {"service", "pages@file"}}));
  docker.middlewares.push_back(
      middleware("missing", "errors", {{"status", "404"}, {"service", "nowhere"}}));
  docker.middlewares.push_back(
      middleware("rejected", "errors", {{"status", "404"}, {"service", "broken"}}));
  auto ok = router("ok", "Host(`ok`)", "app");
  ok.middlewares = {"pages"};
  auto bad = router("bad", "Host(`bad`)", "app");
  bad.middlewares = {"missing"};
  docker.routers = {ok, bad};
  file.services.push_back(service("pages"));
  auto t = compile({{"docker", docker}, {"file", file}});
  std::map<std::string, std::string> why;
  for (const auto& d : t.diagnostics) why[d.kind + " " + d.name] = d.message;
  EXPECT_EQ(why["middleware missing@docker"],
            "container app-1: errors.service: nowhere@docker does not exist");
  EXPECT_EQ(why["middleware rejected@docker"],
            "container app-1: errors.service: broken@docker was rejected");
  EXPECT_EQ(why["router bad@docker"], "uses middleware missing@docker, which was rejected");
  ASSERT_EQ(t.routers.size(), 1u);
  EXPECT_EQ(t.routers[0].name, "ok@docker");
  EXPECT_TRUE(model::validate(t).ok()) << model::validate(t).error();
}

TEST(Compiler, BadNamesAreRejectedSoTheDataPlaneNeverRefusesTheTable) {
  model::ProviderConfig p;
  p.routers.push_back(router("", "Host(`a`)", "s"));
  p.routers.push_back(router("x@evil", "Host(`b`)", "s"));
  p.routers.push_back(router("twice", "Host(`c`)", "s"));
  p.routers.push_back(router("twice", "Host(`d`)", "s"));
  p.services.push_back(service("s"));
  auto t = compile({{"file", p}});
  ASSERT_EQ(t.routers.size(), 1u);
  EXPECT_EQ(t.routers[0].rule, "Host(`c`)");
  std::vector<std::string> got;
  for (const auto& d : t.diagnostics) got.push_back(d.name + ": " + d.message);
  EXPECT_EQ(got,
            (std::vector<std::string>{"@file: empty name", "twice@file: defined more than once",
                                      "x@evil: a name must not contain '@'"}));
  EXPECT_TRUE(model::validate(t).ok());
}

TEST(Compiler, SameInputGivesEqualTables) {
  model::ProviderConfig p;
  p.routers.push_back(router("b", "Host(`b`)", "s"));
  p.routers.push_back(router("a", "Host(`a`)", "s"));
  p.services.push_back(service("s"));
  auto reversed = p;
  std::swap(reversed.routers[0], reversed.routers[1]);
  EXPECT_EQ(compile({{"docker", p}}), compile({{"docker", reversed}}));
}

// Traefik's entry-point models: a router on an entry point with `http.tls` or
// `http.middlewares` becomes one router per such entry point, with them applied.
TEST(Compiler, EntryPointModelsAreAppliedAsTraefikAppliesThem) {
  StaticRouting s;
  s.entrypoints = {"web", "websecure", "lan"};
  s.default_entrypoints = {"web", "websecure"};
  EntryPointModel secure;
  secure.name = "websecure";
  secure.tls = true;
  secure.cert_resolver = "le";
  secure.tls_domains = {{"example.com", "*.example.com"}};
  secure.middlewares = {"headers@file"};
  s.models.push_back(secure);

  model::ProviderConfig docker;
  docker.routers.push_back(router("anywhere", "Host(`a`)", "app"));  // default entry points
  auto own_tls = router("own", "Host(`o`)", "app");
  own_tls.entrypoints = {"websecure"};
  own_tls.tls = true;
  own_tls.cert_resolver = "other";
  own_tls.middlewares = {"auth"};
  docker.routers.push_back(own_tls);
  auto lan = router("lan-only", "Host(`l`)", "app");
  lan.entrypoints = {"lan"};
  docker.routers.push_back(lan);
  auto partly = router("partly", "Host(`p`)", "app");
  partly.entrypoints = {"lan", "nowhere"};
  docker.routers.push_back(partly);
  auto lost = router("lost", "Host(`x`)", "app");
  lost.entrypoints = {"nowhere"};
  docker.routers.push_back(lost);
  docker.services.push_back(service("app"));
  ProviderConfigs configs{{"docker", docker}};
  apply_entrypoints(configs, s);

  std::map<std::string, model::ConfigRouter> by_name;
  for (const auto& r : configs["docker"].routers) by_name[r.name] = r;
  ASSERT_EQ(by_name.size(), 6u);
  // Several entry points, one with a model: a copy per modelled entry point, named after it;
  // the rest stays under the router's own name.
  const auto& a = by_name["websecure-anywhere"];
  EXPECT_EQ(a.entrypoints, std::vector<std::string>{"websecure"});
  EXPECT_TRUE(a.tls);
  EXPECT_EQ(a.cert_resolver, "le");
  EXPECT_EQ(a.cert_domains, secure.tls_domains);
  EXPECT_EQ(a.middlewares, std::vector<std::string>{"headers@file"});
  EXPECT_EQ(by_name["anywhere"].entrypoints, std::vector<std::string>{"web"});
  EXPECT_FALSE(by_name["anywhere"].tls);
  EXPECT_TRUE(by_name["anywhere"].middlewares.empty());
  // One entry point: the name stays; its own TLS wins, the middlewares come first.
  const auto& o = by_name["own"];
  EXPECT_EQ(o.cert_resolver, "other");
  EXPECT_EQ(o.middlewares, (std::vector<std::string>{"headers@file", "auth"}));
  EXPECT_EQ(by_name["lan-only"].entrypoints, std::vector<std::string>{"lan"});
  EXPECT_EQ(by_name["partly"].entrypoints, std::vector<std::string>{"lan"});
  EXPECT_TRUE(by_name["partly"].errors.empty());
  EXPECT_FALSE(by_name["lost"].errors.empty());

  model::ProviderConfig file;
  file.middlewares.push_back({"headers", "headers", {{"stsseconds", "60"}}, "", {}});
  configs["file"] = file;
  auto t = compile(configs);
  std::vector<std::string> served;
  for (const auto& r : t.routers) served.push_back(r.name);
  EXPECT_EQ(served, (std::vector<std::string>{"anywhere@docker", "lan-only@docker", "partly@docker",
                                              "websecure-anywhere@docker"}));
  std::map<std::string, model::Diagnostic> why;
  for (const auto& d : t.diagnostics) why[d.name] = d;
  EXPECT_EQ(why["own@docker"].message, "uses middleware auth@docker, which does not exist");
  EXPECT_FALSE(why["partly@docker"].message.empty());
  EXPECT_TRUE(why["partly@docker"].warning);
  EXPECT_FALSE(why["lost@docker"].warning);
}

// Traefik v3.7's service middlewares run after those of every router using the service.
TEST(Compiler, ServiceMiddlewaresFollowTheRoutersOwn) {
  model::ProviderConfig docker, file;
  auto r = router("app", "Host(`app`)", "app@file");
  r.middlewares = {"auth"};
  docker.routers.push_back(r);
  docker.middlewares.push_back({"auth", "headers", {{"framedeny", "true"}}, "", {}});
  auto s = service("app");
  s.middlewares = {"compress"};
  file.services.push_back(s);
  file.middlewares.push_back({"compress", "compress", {}, "", {}});
  auto t = compile({{"docker", docker}, {"file", file}});
  ASSERT_EQ(t.routers.size(), 1u) << (t.diagnostics.empty() ? "" : t.diagnostics[0].message);
  EXPECT_EQ(t.routers[0].middlewares, (std::vector<std::string>{"auth@docker", "compress@file"}));
}

// A middleware refused deep in a chain disables the router, and the reason shows the way to it.
TEST(Compiler, ARefusedMiddlewareDeepInAChainIsNamedWithTheWayToIt) {
  model::ProviderConfig file;
  auto r = router("app", "Host(`app`)", "app");
  r.middlewares = {"secure"};
  file.routers.push_back(r);
  file.services.push_back(service("app"));
  file.middlewares.push_back({"secure", "chain", {{"middlewares", "ok,inner"}}, "", {}});
  file.middlewares.push_back({"inner", "chain", {{"middlewares", "auth"}}, "", {}});
  file.middlewares.push_back({"ok", "headers", {{"framedeny", "true"}}, "", {}});
  file.middlewares.push_back({"auth", "basicauth", {{"users", "alice:plain"}}, "", {}});
  auto t = compile({{"file", file}});
  EXPECT_TRUE(t.routers.empty());
  std::map<std::string, std::string> why;
  for (const auto& d : t.diagnostics) why[d.name] = d.message;
  EXPECT_EQ(why["app@file"],
            "uses middleware auth@file, which was rejected (by way of secure@file → inner@file → "
            "auth@file)");
}

}  // namespace
}  // namespace wharf::controller::compiler
