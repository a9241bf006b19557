#include <gtest/gtest.h>

#include <map>

#include "rules/parser.hpp"

namespace wharf::rules {
namespace {

class FakeHeaders : public HeaderLookup {
 public:
  std::multimap<std::string, std::string> values;  // Keys lowercase.
  bool any_value(std::string_view name,
                 model::FunctionRef<bool(std::string_view)> pred) const override {
    std::string key(name);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [lo, hi] = values.equal_range(key);
    for (auto it = lo; it != hi; ++it) {
      if (pred(it->second)) return true;
    }
    return false;
  }
};

struct Req {
  std::string method = "GET";
  std::string host = "example.com";
  std::string path = "/";
  std::string query;
  FakeHeaders headers;
  std::string client = "192.0.2.10";
};

bool matches(std::string_view rule, const Req& r) {
  auto node = parse(rule);
  EXPECT_TRUE(node.ok()) << rule << ": " << node.error();
  if (!node) return false;
  std::string host, path;
  normalize_host(r.host, host);
  normalize_path(r.path, path);
  auto ip = model::IpAddress::parse(r.client);
  RequestView v{r.method, host, path, r.query, &r.headers, ip ? &*ip : nullptr};
  return evaluate(*node, v);
}

TEST(Rules, HostIsCaseInsensitiveAndIgnoresPortAndTrailingDot) {
  Req r;
  r.host = "Example.COM:8080";
  EXPECT_TRUE(matches("Host(`example.com`)", r));
  EXPECT_TRUE(matches("Host(`EXAMPLE.com`)", r));
  r.host = "example.com.";
  EXPECT_TRUE(matches("Host(\"example.com\")", r));
  r.host = "other.com";
  EXPECT_FALSE(matches("Host(`example.com`)", r));
}

TEST(Rules, MatcherNamesCompareWithoutCase) {
  Req r;
  r.host = "example.com";
  r.path = "/api/x";
  EXPECT_TRUE(matches("host(`example.com`) && PATHPREFIX(`/api`)", r));
  EXPECT_TRUE(matches("HostRegexp(`^ex`) && method(`get`)", r));
  EXPECT_FALSE(matches("pathprefix(`/other`)", r));
  EXPECT_FALSE(parse("Hosts(`example.com`)").ok());  // Still a name it must know.
}

// Traefik v3.7.7: Host(`*`) matches any host, and so needs none for routing or certificates.
TEST(Rules, HostStarMatchesAnyHost) {
  Req r;
  for (const char* host : {"example.com", "a.b.example.com", "10.0.0.1"}) {
    r.host = host;
    EXPECT_TRUE(matches("Host(`*`)", r)) << host;
    EXPECT_TRUE(matches("Host(`*`) && PathPrefix(`/`)", r)) << host;
  }
  EXPECT_TRUE(required_hosts(*parse("Host(`*`)")).empty());
  EXPECT_TRUE(required_hosts(*parse("Host(`*`) || Host(`a.example`)")).empty());
  EXPECT_FALSE(parse("Host(`*.*`)").ok());
  EXPECT_FALSE(parse("Host(`a*`)").ok());
}

TEST(Rules, WildcardHostCoversExactlyOneLabel) {
  Req r;
  r.host = "a.foo.com";
  EXPECT_TRUE(matches("Host(`*.foo.com`)", r));
  r.host = "b.a.foo.com";
  EXPECT_FALSE(matches("Host(`*.foo.com`)", r));
  r.host = "foo.com";
  EXPECT_FALSE(matches("Host(`*.foo.com`)", r));
}

TEST(Rules, PathKinds) {
  Req r;
  r.path = "/api/v1";
  EXPECT_TRUE(matches("Path(`/api/v1`)", r));
  EXPECT_FALSE(matches("Path(`/api`)", r));
  EXPECT_TRUE(matches("PathPrefix(`/api`)", r));
  EXPECT_TRUE(matches("PathPrefix(`/ap`)", r));
  EXPECT_TRUE(matches("PathRegexp(`^/api/v[0-9]+$`)", r));
  r.path = "/%61pi/v1";  // Unreserved escapes are decoded before matching.
  EXPECT_TRUE(matches("Path(`/api/v1`)", r));
  r.path = "/api%2Fv1";  // Reserved ones are not.
  EXPECT_FALSE(matches("Path(`/api/v1`)", r));
}

TEST(Rules, SegmentPrefixIsElementWise) {
  Req r;
  for (auto [path, want] : std::vector<std::pair<std::string, bool>>{
           {"/aaa", true}, {"/aaa/", true}, {"/aaa/bbb", true}, {"/aaaccc", false}, {"/", false}}) {
    r.path = path;
    EXPECT_EQ(matches("PathSegmentPrefix(`/aaa/`)", r), want) << path;
  }
  r.path = "/anything";
  EXPECT_TRUE(matches("PathSegmentPrefix(`/`)", r));
}

TEST(Rules, MethodHeaderQueryClientIP) {
  Req r;
  r.method = "POST";
  r.headers.values.insert({"x-env", "prod"});
  r.query = "a=1&token=abc+def&flag";
  EXPECT_TRUE(matches("Method(`post`)", r));
  EXPECT_FALSE(matches("Method(`GET`)", r));
  EXPECT_TRUE(matches("Header(`X-Env`, `prod`)", r));
  EXPECT_FALSE(matches("Header(`X-Env`, `dev`)", r));
  EXPECT_TRUE(matches("HeaderRegexp(`X-Env`, `^pr`)", r));
  EXPECT_TRUE(matches("Query(`token`, `abc def`)", r));
  EXPECT_TRUE(matches("Query(`flag`)", r));
  EXPECT_FALSE(matches("Query(`missing`)", r));
  EXPECT_TRUE(matches("QueryRegexp(`a`, `^[0-9]$`)", r));
  EXPECT_TRUE(matches("ClientIP(`192.0.2.0/24`)", r));
  EXPECT_FALSE(matches("ClientIP(`10.0.0.0/8`, `2001:db8::/32`)", r));
  r.client = "2001:db8::7";
  EXPECT_TRUE(matches("ClientIP(`10.0.0.0/8`, `2001:db8::/32`)", r));
}

TEST(Rules, OperatorsAndPrecedence) {
  Req r;
  r.path = "/b";
  // && binds tighter than ||.
  EXPECT_TRUE(matches("Host(`x`) && Path(`/a`) || Path(`/b`)", r));
  EXPECT_FALSE(matches("Host(`x`) && (Path(`/a`) || Path(`/b`))", r));
  EXPECT_TRUE(matches("!Host(`x`) && !!Path(`/b`)", r));
  EXPECT_TRUE(matches("HostRegexp(`^.+\\.com$`)", r));
}

TEST(Rules, ErrorsNameTheColumnAndWhatWasExpected) {
  struct Case {
    std::string rule, error;
  };
  for (const auto& c : std::vector<Case>{
           {"Host(`a`) &&",
            "column 13: expected a matcher such as Host(`example.com`), '!' or "
            "'(', found end of rule"},
           {"Host(`a`", "column 9: expected ',' or ')', found end of rule"},
           {"Hots(`a`)", "column 1: unknown matcher 'Hots'"},
           {"Host(`a`) & Path(`/`)",
            "column 11: expected '&&', '||' or end of rule, found "
            "unexpected character '&'"},
           {"Path(`a`)", "column 6: Path value must start with '/'"},
           {"Host(`a)",
            "column 6: expected a quoted value (`...` or \"...\"), found an "
            "unterminated string"},
           {"Header(`X`)", "column 1: Header takes 2 value(s), got 1"},
           {"ClientIP(`10.0.0.0/33`)", "column 10: '10.0.0.0/33' has a bad prefix length"},
           {"PathRegexp(`(`)", "column 12: bad regular expression"},
           {"Host(`a.*.com`)", "column 1: Host wildcard"},
           {"", "column 1: expected a matcher"},
       }) {
    auto r = parse(c.rule);
    ASSERT_FALSE(r.ok()) << c.rule;
    EXPECT_EQ(r.error().rfind(c.error, 0), 0u) << c.rule << " → " << r.error();
  }
}

TEST(Rules, DeepNestingIsRefusedNotACrash) {
  std::string rule(10000, '(');
  EXPECT_FALSE(parse(rule).ok());
  std::string nots(10000, '!');
  EXPECT_FALSE(parse(nots + "Host(`a`)").ok());
}

TEST(Rules, RequiredHostsIndexOnlyWhatTheRuleNeeds) {
  auto hosts = [](std::string_view rule) { return required_hosts(*parse(rule)); };
  EXPECT_EQ(hosts("Host(`a`) && PathPrefix(`/x`)"), std::vector<std::string>{"a"});
  EXPECT_EQ(hosts("PathPrefix(`/x`) && Host(`A`)"), std::vector<std::string>{"a"});
  EXPECT_EQ(hosts("Host(`a`) || Host(`b`)"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(hosts("Host(`a`) || Path(`/x`)").empty());
  EXPECT_TRUE(hosts("!Host(`a`)").empty());
}

}  // namespace
}  // namespace wharf::rules

namespace wharf::rules {
namespace {

// A TCP rule against a connection: its SNI ("" without TLS), ALPN and client address.
bool connects(std::string_view rule, std::string_view sni, std::vector<std::string> alpn = {},
              const char* client = "192.0.2.10") {
  auto node = parse_tcp(rule);
  EXPECT_TRUE(node.ok()) << rule << ": " << node.error();
  if (!node) return false;
  auto ip = model::IpAddress::parse(client);
  return evaluate(*node, ConnectionView{sni, &alpn, ip ? &*ip : nullptr});
}

TEST(Rules, TcpRulesMatchTheConnectionsSniAlpnAndAddress) {
  EXPECT_TRUE(connects("HostSNI(`mail.example.com`)", "mail.example.com"));
  EXPECT_TRUE(connects("HostSNI(`Mail.Example.com.`)", "mail.example.com"));
  EXPECT_FALSE(connects("HostSNI(`mail.example.com`)", "imap.example.com"));
  EXPECT_FALSE(connects("HostSNI(`mail.example.com`)", ""));  // Not TLS.
  // `*`: every connection, TLS or not (a plain TCP service behind the entry point).
  EXPECT_TRUE(connects("HostSNI(`*`)", ""));
  EXPECT_TRUE(connects("HostSNI(`*`)", "any.example"));
  EXPECT_TRUE(connects("HostSNIRegexp(`^.+\\.example\\.com$`)", "git.example.com"));
  EXPECT_FALSE(connects("HostSNIRegexp(`^.+\\.example\\.com$`)", ""));
  EXPECT_TRUE(connects("HostSNI(`a.example`) && ALPN(`h2`)", "a.example", {"h2", "http/1.1"}));
  EXPECT_FALSE(connects("HostSNI(`a.example`) && ALPN(`h2`)", "a.example", {"http/1.1"}));
  EXPECT_TRUE(connects("HostSNI(`*`) && ClientIP(`192.0.2.0/24`)", "", {}, "192.0.2.77"));
  EXPECT_FALSE(connects("HostSNI(`*`) && !ClientIP(`192.0.2.0/24`)", "", {}, "192.0.2.77"));
  EXPECT_TRUE(connects("HostSNI(`a.example`) || HostSNI(`b.example`)", "b.example"));
  EXPECT_TRUE(connects("hostsni(`a.example`)", "a.example"));  // Names compare without case.
}

TEST(Rules, TcpAndHttpRulesKeepToTheirOwnMatchers) {
  EXPECT_EQ(parse_tcp("Host(`a.example`)").error(),
            "column 1: unknown matcher 'Host' (expected one of HostSNI, HostSNIRegexp, "
            "ClientIP, ALPN)");
  EXPECT_EQ(parse("HostSNI(`a.example`)").error().rfind("column 1: unknown matcher 'HostSNI'", 0),
            0u);
  EXPECT_EQ(parse_tcp("HostSNI(`*.example.com`)").error(),
            "column 1: HostSNI '*.example.com' takes a name or `*`; match patterns with "
            "HostSNIRegexp");
  EXPECT_EQ(parse_tcp("ALPN(`acme-tls/1`)").error(),
            "column 1: ALPN `acme-tls/1` is reserved for ACME validation");
  EXPECT_EQ(parse_tcp("HostSNIRegexp(`(`)").error().rfind("column 15: bad regular expression", 0),
            0u);
  EXPECT_EQ(parse_tcp("HostSNI(`a`) &&").error(),
            "column 16: expected a matcher such as HostSNI(`example.com`), '!' or '(', found "
            "end of rule");
}

}  // namespace
}  // namespace wharf::rules
