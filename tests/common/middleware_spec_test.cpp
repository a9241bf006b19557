#include <gtest/gtest.h>

#include "middleware/chain.hpp"
#include "middleware/spec.hpp"
#include "model/routing_table.hpp"

namespace wharf::middleware_config {
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
  EXPECT_EQ(error_of("headers", {{"stsseconds2", "1"}}),
            "stsseconds2: unknown option (did you mean stsseconds?)");
  EXPECT_EQ(error_of("headers", {{"colour", "red"}}), "colour: unknown option");
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

TEST(MiddlewareSpec, ExchangeMiddlewaresReadTraefikOptions) {
  auto retry = parse("retry", {{"attempts", "4"}, {"initialinterval", "50ms"}});
  ASSERT_TRUE(retry) << retry.error();
  EXPECT_EQ(std::get<Retry>(*retry).attempts, 4u);
  EXPECT_EQ(std::get<Retry>(*retry).initial_interval_ms, 50u);

  auto cb = parse("circuitbreaker", {{"expression", "NetworkErrorRatio() > 0.5"},
                                     {"checkperiod", "50ms"},
                                     {"fallbackduration", "2s"},
                                     {"recoveryduration", "1s"},
                                     {"responsecode", "429"}});
  ASSERT_TRUE(cb) << cb.error();
  const auto& c = std::get<CircuitBreaker>(*cb);
  EXPECT_EQ(c.check_period_ms, 50u);
  EXPECT_EQ(c.fallback_ms, 2000u);
  EXPECT_EQ(c.recovery_ms, 1000u);
  EXPECT_EQ(c.response_code, 429u);

  auto buf = parse("buffering", {{"maxrequestbodybytes", "1000"},
                                 {"memrequestbodybytes", "100"},
                                 {"maxresponsebodybytes", "2000"}});
  ASSERT_TRUE(buf) << buf.error();
  EXPECT_EQ(std::get<Buffering>(*buf).max_request_body, 1000u);
  EXPECT_EQ(std::get<Buffering>(*buf).max_response_body, 2000u);

  // `compress=true` as a label carries no option at all: Traefik's defaults.
  auto z = parse("compress", {});
  ASSERT_TRUE(z) << z.error();
  EXPECT_EQ(std::get<Compress>(*z).encodings, (std::vector<std::string>{"zstd", "br", "gzip"}));
  EXPECT_EQ(std::get<Compress>(*z).min_bytes, 1024u);
  auto z2 = parse("compress", {{"excludedcontenttypes", "Text/Event-Stream, image/png"},
                               {"encodings", "gzip"},
                               {"minresponsebodybytes", "10"}});
  ASSERT_TRUE(z2) << z2.error();
  EXPECT_EQ(std::get<Compress>(*z2).excluded_types,
            (std::vector<std::string>{"text/event-stream", "image/png"}));

  auto errors = parse("errors", {{"status", "404,500-599"},
                                 {"service", "pages"},
                                 {"query", "/{status}.html"},
                                 {"statusrewrites.502-504", "500"}});
  ASSERT_TRUE(errors) << errors.error();
  const auto& e = std::get<Errors>(*errors);
  ASSERT_EQ(e.status.size(), 2u);
  EXPECT_TRUE(e.status[1].contains(503) && !e.status[1].contains(404) && e.status[0].contains(404));
  ASSERT_EQ(e.rewrites.size(), 1u);
  EXPECT_EQ(e.rewrites[0].second, 500u);
}

TEST(MiddlewareSpec, ExchangeMiddlewaresRefuseBadOptionsByName) {
  EXPECT_EQ(error_of("retry", {}), "attempts: required");
  EXPECT_EQ(error_of("retry", {{"attempts", "0"}}), "attempts: '0' is not an integer from 1 to 10");
  EXPECT_EQ(error_of("circuitbreaker", {}), "expression: required");
  EXPECT_EQ(error_of("circuitbreaker", {{"expression", "NetworkErrorRatio() > "}}),
            "expression: 'NetworkErrorRatio() > ': column 23: expected a number");
  EXPECT_EQ(error_of("circuitbreaker", {{"expression", "Latency() > 3"}}),
            "expression: 'Latency() > 3': column 1: expected NetworkErrorRatio(), "
            "ResponseCodeRatio(from, to, dFrom, dTo) or LatencyAtQuantileMS(quantile)");
  EXPECT_EQ(error_of("buffering", {{"retryexpression", "IsNetworkError() && Attempts() < 2"}}),
            "ok");
  EXPECT_EQ(error_of("buffering", {{"retryexpression", "ResponseCode() >= 500"}}),
            "retryexpression: 'ResponseCode() >= 500': only 'IsNetworkError() && Attempts() < N' "
            "(or <= N) can be honoured: Wharf never holds a request body, so it tries again only "
            "requests that failed before the server answered");
  // A typo is told with the option it is close to.
  EXPECT_EQ(error_of("headers", {{"stssecond", "60"}}),
            "stssecond: unknown option (did you mean stsseconds?)");
  // Every problem is told, each option once.
  EXPECT_EQ(error_of("retry", {{"attempts", "x"}, {"initialinterval", "soon"}, {"colour", "red"}}),
            "attempts: 'x' is not an integer from 1 to 10; initialinterval: 'soon' is not a "
            "positive duration such as 1s, 500ms or 1m; colour: unknown option");
  EXPECT_EQ(error_of("compress", {{"encodings", "gzip,deflate"}}),
            "encodings: 'deflate': expected gzip, br or zstd");
  EXPECT_EQ(
      error_of("compress", {{"excludedcontenttypes", "a/b"}, {"includedcontenttypes", "c/d"}}),
      "includedcontenttypes: excludedContentTypes and includedContentTypes exclude each "
      "other");
  EXPECT_EQ(error_of("errors", {{"status", "5xx"}, {"service", "s"}}),
            "status: '5xx' is not a status code or range such as 500-599");
  EXPECT_EQ(error_of("errors", {{"status", "500"}}), "service: required");
  EXPECT_EQ(error_of("errors", {{"status", "500"}, {"service", "s"}, {"query", "x"}}),
            "query: must start with '/'");
}

TEST(MiddlewareSpec, BreakerExpressionsEvaluateLikeTraefiks) {
  struct Fixed : BreakerMetrics {
    double ner = 0, codes = 0, latency = 0;
    double network_error_ratio() const override { return ner; }
    double response_code_ratio(int from, int to, int d_from, int d_to) const override {
      return from == 500 && to == 600 && d_from == 0 && d_to == 600 ? codes : -1;
    }
    double latency_at_quantile_ms(double q) const override { return q == 50 ? latency : -1; }
  } m;
  auto e = BreakerExpression::parse(
      "(NetworkErrorRatio() > 0.3 || ResponseCodeRatio(500, 600, 0, 600) >= 0.25) && "
      "LatencyAtQuantileMS(50.0) < 1000");
  ASSERT_TRUE(e) << e.error();
  EXPECT_FALSE((*e)->evaluate(m));
  m.ner = 0.31;
  EXPECT_TRUE((*e)->evaluate(m));
  m.latency = 1000;
  EXPECT_FALSE((*e)->evaluate(m));
  m.latency = 10, m.ner = 0, m.codes = 0.25;
  EXPECT_TRUE((*e)->evaluate(m));
  for (const char* bad : {"NetworkErrorRatio() > 0.5 &&", "(NetworkErrorRatio() > 1",
                          "ResponseCodeRatio(500, 600) > 0.5", "LatencyAtQuantileMS(0) > 1",
                          "NetworkErrorRatio() 0.5", "NetworkErrorRatio() > 0.5 extra"}) {
    EXPECT_FALSE(BreakerExpression::parse(bad)) << bad;
  }
}

TEST(MiddlewareSpec, TypesNotImplementedAreRefusedByName) {
  auto e = error_of("grpcweb", {});
  EXPECT_TRUE(
      e.starts_with("middleware type 'grpcweb' is not implemented by this version of "
                    "Wharf (implemented: addprefix, basicauth,"))
      << e;
  // And options of implemented types that Wharf cannot honour yet are refused by name.
  EXPECT_EQ(
      error_of("forwardauth", {{"address", "ftp://auth.example/verify"}}),
      "address: server url 'ftp://auth.example/verify': expected http://, https:// or h2c://");
  EXPECT_EQ(error_of("forwardauth", {{"address", "h2c://auth.example/verify"}}),
            "address: server url 'h2c://auth.example/verify': expected http:// or https://");
  // The controller puts the files' PEM in place of their names: a name reaching the spec
  // means nothing read it.
  EXPECT_EQ(error_of("forwardauth", {{"address", "https://auth.example"}, {"tls.ca", "/ca.pem"}}),
            "tls.ca: expected PEM (the controller reads the file /ca.pem)");
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

TEST(MiddlewareSpec, ChainExpandsNestedChainsQualifiedByTheirOwnProvider) {
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

TEST(MiddlewareSpec, TableValidateRefusesBadMiddlewaresAndReferences) {
  model::RoutingTable t;
  t.services.push_back({"s@file", {}, true, {}, "wrr", std::nullopt, std::nullopt, {}, {}});
  t.routers.push_back({"r@file", "PathPrefix(`/`)", 0, {}, "s@file", false, {"m@file"}, {}});
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
}  // namespace wharf::middleware_config
