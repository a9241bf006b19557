// Wharf's rule matcher against Traefik v3.7's own test tables: every case of the matcher and
// mux tests of Traefik's pkg/muxer/http (matcher_test.go, mux_test.go at commit fd5a576df2),
// written out as data in data/traefik_muxer_cases.jsonl: the rule, the request (method, URL,
// headers, client address) and what Traefik answers (200 matched, 404 not, or "error": the
// rule is refused). Every case must agree, except the deviations listed below with their reason.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "model/ip.hpp"
#include "rules/ast.hpp"
#include "rules/parser.hpp"

namespace wharf::rules {
namespace {

struct Case {
  std::string test, desc, rule, method = "GET", url, remote, expected;
  std::vector<std::pair<std::string, std::vector<std::string>>> headers;
};

std::vector<Case> load() {
  std::ifstream in(std::string(WHARF_TEST_DATA_DIR) + "/traefik_muxer_cases.jsonl");
  std::vector<Case> out;
  std::string line;
  while (std::getline(in, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError()) continue;
    Case c;
    c.test = d["test"].GetString();
    c.desc = d["desc"].GetString();
    c.rule = d["rule"].GetString();
    if (d.HasMember("method")) c.method = d["method"].GetString();
    if (d.HasMember("url")) c.url = d["url"].GetString();
    if (d.HasMember("remote")) c.remote = d["remote"].GetString();
    c.expected = d["expected"].IsString() ? d["expected"].GetString()
                                          : std::to_string(d["expected"].GetInt());
    if (d.HasMember("headers")) {
      for (const auto& h : d["headers"].GetArray()) {
        std::vector<std::string> values;
        for (const auto& v : h[1].GetArray()) values.emplace_back(v.GetString());
        c.headers.emplace_back(h[0].GetString(), std::move(values));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// Go's http.Header as a request on the wire gives it: names compared without case.
class Headers : public HeaderLookup {
 public:
  explicit Headers(const Case& c) : c_(c) {}
  bool any_value(std::string_view name,
                 model::FunctionRef<bool(std::string_view)> pred) const override {
    for (const auto& [n, values] : c_.headers) {
      if (n.size() != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < n.size() && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(n[i])) ==
               std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (!same) continue;
      for (const auto& v : values) {
        if (pred(v)) return true;
      }
    }
    return false;
  }

 private:
  const Case& c_;
};

// Headers that Go's tests put in the map under a name that is not in canonical form
// ("x-forwarded-proto"): Go's lookups miss them, which no request on the wire can do (a
// server canonicalizes the names it parses). Not expressible as a request, so not compared.
bool non_canonical_header(const Case& c) {
  for (const auto& [n, v] : c.headers) {
    bool upper = true;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const bool start = i == 0 || n[i - 1] == '-';
      if (std::isalpha(static_cast<unsigned char>(n[i])) &&
          (start != (std::isupper(static_cast<unsigned char>(n[i])) != 0))) {
        upper = false;
      }
    }
    if (!upper) return true;
  }
  return false;
}

// The documented deviations (docs/rules.md): rule text, and why.
const std::map<std::string, std::string>& deviations() {
  static const std::map<std::string, std::string> kDeviations = {
      // Wharf takes Traefik v2's several values per matcher (v3 refuses them), so that v2
      // rules carry over: Host(`a`, `b`) is Host(`a`) || Host(`b`).
      {"Host(`example.com`, `example.org`)", "v2's several values"},
      {"Path(`/css`, `/js`)", "v2's several values"},
      {"PathPrefix(`/css`, `/js`)", "v2's several values"},
      {"Method(`GET`, `POST`)", "v2's several values"},
      {"ClientIP(`127.0.0.1`, `192.168.1.0/24`)", "v2's several values"},
  };
  return kDeviations;
}

unsigned evaluate_case(const Node& rule, const Case& c) {
  // The URL: scheme://authority/path?query, as httptest.NewRequest splits it.
  std::string_view url = c.url.empty() ? std::string_view("https://example.com") : c.url;
  auto scheme_end = url.find("://");
  std::string_view rest = url.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "/" : rest.substr(path_start);
  auto q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (raw_path.empty()) raw_path = "/";
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  std::string host, path;
  normalize_host(authority, host);
  normalize_path(raw_path, path);
  Headers headers(c);
  model::IpAddress ip{};
  auto parsed = model::IpAddress::parse(c.remote.empty() ? "192.0.2.1" : c.remote);
  if (parsed) ip = *parsed;
  RequestView view{c.method, host, path, query, &headers, parsed ? &ip : nullptr, true};
  return evaluate(rule, view) ? 200 : 404;
}

TEST(TraefikMuxerTables, EveryCaseAgreesButTheDocumentedDeviations) {
  const auto cases = load();
  ASSERT_GE(cases.size(), 280u) << "the case file is missing or cut short";
  std::size_t compared = 0, deviating = 0, skipped = 0;
  for (const auto& c : cases) {
    const std::string where =
        c.test + " / " + c.desc + " / " + c.rule + " / " + c.method + " " + c.url + " " + c.remote;
    if (non_canonical_header(c)) {
      ++skipped;
      continue;
    }
    auto rule = parse(c.rule);
    if (deviations().count(c.rule)) {
      ++deviating;
      EXPECT_TRUE(rule.ok()) << where;
      continue;
    }
    ++compared;
    if (c.expected == "error") {
      EXPECT_FALSE(rule.ok()) << where << ": Traefik refuses this rule";
      continue;
    }
    ASSERT_TRUE(rule.ok()) << where << ": " << rule.error();
    EXPECT_EQ(std::to_string(evaluate_case(*rule, c)), c.expected) << where;
  }
  EXPECT_GE(compared, 270u);
  RecordProperty("compared", static_cast<int>(compared));
  RecordProperty("deviating", static_cast<int>(deviating));
  RecordProperty("not_expressible", static_cast<int>(skipped));
}

}  // namespace
}  // namespace wharf::rules
