// One router decoder for every provider: the same router written as Docker labels and as a
// file gives the same router, and the same mistakes the same errors (each provider names its
// own label or line).

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "controller/docker/container.hpp"
#include "controller/docker/translator.hpp"
#include "controller/file/file_translator.hpp"
#include "controller/provider/router_options.hpp"

namespace wharf::controller {
namespace {

// A router `web` from labels on the captured container of fixtures/docker/host_network.json.
model::ConfigRouter from_labels(const std::map<std::string, std::string>& options) {
  std::ifstream in(std::string(WHARF_FIXTURES_DIR) + "/docker/host_network.json");
  std::ostringstream s;
  s << in.rdbuf();
  auto containers = docker::parse_inspect_array(s.str());
  EXPECT_TRUE(containers.ok());
  if (!containers.ok()) return {};
  auto& labels = (*containers)[0].labels;
  for (auto it = labels.begin(); it != labels.end();) {
    it = it->first.find(".http.routers.") != std::string::npos ? labels.erase(it) : ++it;
  }
  for (const auto& [k, v] : options) labels["wharf.http.routers.web." + k] = v;
  auto c = docker::translate(*containers, {});
  for (const auto& r : c.routers) {
    if (r.name == "web") return r;
  }
  ADD_FAILURE() << "no router web";
  return {};
}

model::ConfigRouter from_file(const std::string& router_yaml) {
  auto c = file::translate("http:\n  routers:\n    web:\n" + router_yaml +
                               "  services:\n    web:\n      loadBalancer:\n        servers:\n"
                               "          - url: http://127.0.0.1:1\n",
                           "dyn.yml");
  EXPECT_TRUE(c.ok());
  if (!c.ok() || c->routers.empty()) return {};
  return c->routers[0];
}

// What the decoder decides, without the provider's bookkeeping (source, errors' wording).
void expect_same(const model::ConfigRouter& a, const model::ConfigRouter& b) {
  EXPECT_EQ(a.rule, b.rule);
  EXPECT_EQ(a.entrypoints, b.entrypoints);
  EXPECT_EQ(a.middlewares, b.middlewares);
  EXPECT_EQ(a.service, b.service);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.tls, b.tls);
  EXPECT_EQ(a.cert_resolver, b.cert_resolver);
  EXPECT_EQ(a.tls_options, b.tls_options);
  EXPECT_EQ(a.cert_domains, b.cert_domains);
  EXPECT_EQ(a.errors.size(), b.errors.size());
}

TEST(RouterOptions, LabelsAndFileMeanTheSame) {
  // A certificate resolver, options or domains each make the router a TLS one, in both.
  auto labels = from_labels({{"rule", "Host(`a.example`)"},
                             {"entrypoints", "web,websecure"},
                             {"middlewares", "auth@file,secure@file"},
                             {"service", "web"},
                             {"priority", "42"},
                             {"tls.certresolver", "le"},
                             {"tls.domains[0].main", "*.example"},
                             {"tls.domains[0].sans", "example,www.example"},
                             {"tls.domains[1].main", "b.example"},
                             {"observability.accesslogs", "false"},
                             {"observability.traceverbosity", "minimal"},
                             {"rulesyntax", "v3"}});
  auto file = from_file(
      "      rule: Host(`a.example`)\n      entryPoints: [web, websecure]\n"
      "      middlewares: [auth@file, secure@file]\n      service: web\n      priority: 42\n"
      "      tls:\n        certResolver: le\n        domains:\n"
      "          - main: \"*.example\"\n            sans: [example, www.example]\n"
      "          - main: b.example\n"
      "      observability: {accessLogs: false, traceVerbosity: minimal}\n"
      "      ruleSyntax: v3\n");
  EXPECT_TRUE(labels.tls);
  EXPECT_EQ(labels.cert_domains, (std::vector<std::vector<std::string>>{
                                     {"*.example", "example", "www.example"}, {"b.example"}}));
  EXPECT_TRUE(labels.errors.empty()) << labels.errors.front();
  expect_same(labels, file);

  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"tls.options", "modern@file"}, {"tls.domains[0].main", "a.example"}}) {
    EXPECT_TRUE(from_labels({{"rule", "Host(`a.example`)"}, {option, value}}).tls) << option;
  }
  EXPECT_TRUE(from_file("      rule: Host(`a.example`)\n      service: web\n"
                        "      tls: {options: modern@file}\n")
                  .tls);
}

TEST(RouterOptions, TheSameMistakesTheSameErrors) {
  struct Case {
    std::map<std::string, std::string> labels;
    std::string yaml, error;
  };
  const std::vector<Case> cases = {
      {{{"rule", "Host(`a"}}, "      rule: Host(`a\n", "column 6: "},
      {{{"rule", "Host(`a`)"}, {"priority", "high"}},
       "      rule: Host(`a`)\n      priority: high\n",
       "expected an integer"},
      {{{"rule", "Host(`a`)"}, {"rulesyntax", "v2"}},
       "      rule: Host(`a`)\n      ruleSyntax: v2\n",
       "only the v3 rule syntax is supported"},
      {{{"rule", "Host(`a`)"}, {"observability.metrics", "sometimes"}},
       "      rule: Host(`a`)\n      observability: {metrics: sometimes}\n",
       "expected true or false"},
      {{{"rule", "Host(`a`)"}, {"observability.colour", "red"}},
       "      rule: Host(`a`)\n      observability: {colour: red}\n",
       "unknown router option"},
      {{{"rule", "Host(`a`)"}, {"tls.domains[0].sans", "b.example"}},
       "      rule: Host(`a`)\n      tls:\n        domains:\n          - sans: [b.example]\n",
       "tls.domains[0] has sans but no main"},
      {{{"rule", "Host(`a`)"}, {"tls.colour", "red"}},
       "      rule: Host(`a`)\n      tls: {colour: red}\n",
       "unknown router option"},
  };
  for (const auto& c : cases) {
    auto labels = from_labels(c.labels);
    auto file = from_file(c.yaml + "      service: web\n");
    ASSERT_EQ(labels.errors.size(), 1u) << c.error;
    ASSERT_EQ(file.errors.size(), 1u) << c.error;
    EXPECT_NE(labels.errors[0].find(c.error), std::string::npos) << labels.errors[0];
    EXPECT_NE(file.errors[0].find(c.error), std::string::npos) << file.errors[0];
    EXPECT_EQ(file.errors[0].rfind("dyn.yml:", 0), 0u) << file.errors[0];
  }
}

}  // namespace
}  // namespace wharf::controller
