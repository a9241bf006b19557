#include <gtest/gtest.h>

#include "middleware/chain.hpp"
#include "middleware/spec.hpp"
#include "model/routing_table.hpp"

namespace wharf::middleware {
namespace {

std::string error_of(std::string_view type, const Options& o) {
  auto r = parse(type, o);
  return r ? "ok" : r.error();
}

TEST(MiddlewareSpec, HeadersReadEveryTraefikOption) {
  auto r =
      parse("headers", {{"customrequestheaders.x-app", "wharf"},
                        {"customrequestheaders.x-drop", ""},
                        {"customresponseheaders.x-served-by", "edge"},
                        {"stsseconds", "31536000"},
                        {"stsincludesubdomains", "true"},
                        {"stspreload", "TRUE"},
                        {"framedeny", "true"},
                        {"contenttypenosniff", "true"},
                        {"browserxssfilter", "true"},
                        {"referrerpolicy", "same-origin"},
                        {"contentsecuritypolicy", "default-src 'self'"},
                        {"accesscontrolalloworiginlist", "https://a.example, https://b.example"},
                        {"accesscontrolallowmethods", "GET,POST"},
                        {"accesscontrolmaxage", "600"},
                        {"addvaryheader", "true"}});
  ASSERT_TRUE(r) << r.error();
  const auto& h = std::get<Headers>(*r);
  EXPECT_EQ(h.request,
            (std::vector<std::pair<std::string, std::string>>{{"x-app", "wharf"}, {"x-drop", ""}}));
  EXPECT_EQ(h.response.size(), 1u);
  EXPECT_EQ(h.sts_seconds, 31536000u);
  EXPECT_TRUE(h.sts_include_subdomains && h.sts_preload);
  EXPECT_EQ(h.frame_options, "DENY");
  EXPECT_EQ(h.xss, "1; mode=block");
  EXPECT_EQ(h.allow_origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(h.allow_methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(h.max_age, 600);
  EXPECT_TRUE(h.add_vary && h.has_cors());
}

TEST(MiddlewareSpec, BadOptionsNameTheOptionAndWhy) {
  EXPECT_EQ(error_of("headers", {{"stsseconds", "-1"}}),
            "stsseconds: '-1' is not an integer from 0 to 1000000000");
  EXPECT_EQ(error_of("headers", {{"framedeny", "yes"}}),
            "framedeny: 'yes' is not a boolean (true or false)");
  EXPECT_EQ(error_of("headers", {{"stsseconds2", "1"}}), "stsseconds2: unknown option");
  EXPECT_EQ(error_of("headers", {{"customrequestheaders.bad name", "1"}}),
            "customheaders: 'bad name' is not a header name");
  EXPECT_EQ(error_of("stripprefix", {}), "prefixes: required");
  EXPECT_EQ(error_of("stripprefix", {{"prefixes", "/a"}, {"forceslash", "false"}}),
            "forceslash: removed in Traefik v3; drop it");
  EXPECT_EQ(error_of("addprefix", {{"prefix", "api"}}), "prefix: must start with '/'");
  EXPECT_EQ(error_of("redirectscheme", {{"scheme", "ftp"}}), "scheme: expected http or https");
  EXPECT_EQ(error_of("redirectscheme", {{"port", "70000"}}),
            "port: '70000' is not an integer from 1 to 65535");
  EXPECT_TRUE(error_of("redirectregex", {{"regex", "^(unclosed"}, {"replacement", "x"}})
                  .starts_with("regex: bad regular expression '^(unclosed': "));
  EXPECT_EQ(error_of("ipallowlist", {{"sourcerange", "10.0.0.0/8, 300.1.1.1"}}),
            "sourcerange: '300.1.1.1' is not an IP address or CIDR range");
  EXPECT_EQ(error_of("ipallowlist", {{"sourcerange", "10.0.0.0/8"},
                                     {"ipstrategy.depth", "1"},
                                     {"ipstrategy.excludedips", "10.0.0.1"}}),
            "ipstrategy: depth and excludedIPs exclude each other");
  EXPECT_EQ(error_of("ratelimit", {{"average", "ten"}}),
            "average: 'ten' is not a non-negative number");
  EXPECT_EQ(error_of("ratelimit", {{"period", "soon"}}),
            "period: 'soon' is not a positive duration such as 1s, 500ms or 1m");
  EXPECT_EQ(error_of("inflightreq", {{"amount", "0"}}),
            "amount: '0' is not an integer from 1 to 1000000000");
  EXPECT_EQ(error_of("inflightreq", {{"amount", "1"},
                                     {"sourcecriterion.requesthost", "true"},
                                     {"sourcecriterion.requestheadername", "X-User"}}),
            "sourcecriterion: set only one of ipStrategy, requestHeaderName, requestHost");
}

TEST(MiddlewareSpec, TypesNotImplementedAreRefusedByName) {
  auto e = error_of("compress", {});
  EXPECT_TRUE(
      e.starts_with("middleware type 'compress' is not implemented by this version of "
                    "Wharf (implemented: addprefix, basicauth,"))
      << e;
  // And options of implemented types that Wharf cannot honour yet are refused by name.
  EXPECT_EQ(error_of("forwardauth", {{"address", "https://auth.example/verify"}}),
            "address: server url 'https://auth.example/verify': only http:// is supported (an "
            "https auth server is not supported yet)");
  EXPECT_EQ(error_of("forwardauth",
                     {{"address", "http://auth:9091/api/verify"}, {"forwardbody", "true"}}),
            "forwardbody: not supported by Wharf yet");
  EXPECT_EQ(error_of("forwardauth", {}), "address: required");
}

TEST(MiddlewareSpec, BasicAuthAcceptsOnlyHashesItCanVerify) {
  const std::string bcrypt = "$2y$05$T8lGPN0HuMb2O4UDuJ9fMuiV2sPnGrVTBk7a9sFdjdYWK.y0Na7Mu";
  auto ok =
      parse("basicauth",
            {{"users", "alice:" + bcrypt + ",bob:$apr1$x1$abc,carol:{SHA}" + std::string(28, 'A')},
             {"realm", "home"},
             {"removeheader", "true"}});
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(std::get<BasicAuth>(*ok).users.size(), 3u);
  EXPECT_EQ(error_of("basicauth", {{"users", "alice:secret"}}),
            "users: user 'alice': unsupported hash (use bcrypt, $apr1$, $1$, $5$, $6$ or {SHA}; "
            "plain text is refused)");
  EXPECT_EQ(error_of("basicauth", {{"users", "alice"}}), "users: entry 1 is not user:hash");
  EXPECT_EQ(error_of("basicauth", {}), "users: required");
  EXPECT_EQ(error_of("basicauth", {{"users", "a:$2y$05$short"}}),
            "users: user 'a': malformed bcrypt hash");
}

TEST(MiddlewareSpec, RateLimitDefaultsFollowTraefik) {
  auto r = parse("ratelimit", {{"average", "100"}, {"period", "1m"}, {"burst", "0"}});
  ASSERT_TRUE(r) << r.error();
  const auto& l = std::get<RateLimit>(*r);
  EXPECT_EQ(l.average, 100);
  EXPECT_EQ(l.period_ms, 60'000u);
  EXPECT_EQ(l.burst, 1u);  // A bucket holds at least one request.
  auto ms = parse("ratelimit", {{"average", "1"}, {"period", "250ms"}});
  EXPECT_EQ(std::get<RateLimit>(*ms).period_ms, 250u);
}

TEST(MiddlewareChain, ExpandsNestedChainsQualifiedByTheirOwnProvider) {
  std::map<std::string, Spec> specs;
  specs["secure@file"] = Chain{{"hsts", "auth@docker"}};
  specs["hsts@file"] = Headers{};
  specs["auth@docker"] = BasicAuth{};
  specs["strip@docker"] = StripPrefix{{"/a"}};
  specs["outer@docker"] = Chain{{"strip", "secure@file"}};
  auto lookup = [&](const std::string& n) -> const Spec* {
    auto it = specs.find(n);
    return it == specs.end() ? nullptr : &it->second;
  };
  auto r = expand({"outer@docker", "strip@docker"}, lookup);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r,
            (std::vector<std::string>{"strip@docker", "hsts@file", "auth@docker", "strip@docker"}));
  specs["secure@file"] = Chain{{"hsts", "outer@docker"}};
  auto cycle = expand({"outer@docker"}, lookup);
  ASSERT_FALSE(cycle);
  EXPECT_EQ(cycle.error(), "chain cycle: outer@docker → secure@file → outer@docker");
  specs["secure@file"] = Chain{{"gone"}};
  auto missing = expand({"outer@docker"}, lookup);
  EXPECT_EQ(missing.error(), "middleware gone@file does not exist (named by chain secure@file)");
}

TEST(MiddlewareTable, ValidateRefusesBadMiddlewaresAndReferences) {
  model::RoutingTable t;
  t.services.push_back({"s@file", {}, true, {}, "wrr", std::nullopt, std::nullopt});
  t.routers.push_back({"r@file", "PathPrefix(`/`)", 0, {}, "s@file", false, {"m@file"}});
  auto v = model::validate(t);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error(), "router 'r@file': middleware m@file does not exist");
  t.middlewares.push_back({"m@file", "addprefix", {{"prefix", "nope"}}});
  v = model::validate(t);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error(), "middleware 'm@file' (addprefix): prefix: must start with '/'");
  t.middlewares[0].options[0].second = "/api";
  EXPECT_TRUE(model::validate(t));
  // Load-balancing options are checked the same way.
  t.services[0].strategy = "random";
  EXPECT_EQ(model::validate(t).error(), "service 's@file': strategy 'random': expected wrr or p2c");
  t.services[0].strategy = "p2c";
  t.services[0].sticky = model::StickyCookie{};
  t.services[0].sticky->name = "bad name";
  EXPECT_EQ(model::validate(t).error(),
            "service 's@file': sticky cookie name 'bad name' is not a cookie name");
  t.services[0].sticky->name = "";
  t.services[0].sticky->same_site = "sometimes";
  EXPECT_EQ(model::validate(t).error(),
            "service 's@file': sticky cookie sameSite 'sometimes': expected none, lax or strict");
}

}  // namespace
}  // namespace wharf::middleware
