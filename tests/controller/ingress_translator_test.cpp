// Ingress translation from fixture files of API JSON (`kubectl get -o json` lists, one case
// per file), checked through the real compiler and the data plane's real matcher, so "which
// backend answers this path" is decided exactly as in production.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "controller/compiler/compiler.hpp"
#include "controller/kubernetes/ingress_translator.hpp"
#include "dataplane/routing/compiled_table.hpp"

namespace wharf::controller::kubernetes {
namespace {

Snapshot fixture(const std::string& name) {
  std::ifstream in(std::string(WHARF_FIXTURES_DIR) + "/kubernetes/" + name + ".json");
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  Snapshot snap;
  auto ok = add_objects(s.str(), snap);
  EXPECT_TRUE(ok.ok()) << ok.error();
  return snap;
}

struct Routed {
  model::RoutingTable table;
  std::shared_ptr<const dataplane::routing::CompiledTable> compiled;

  // The Kubernetes Service (name only) that answers, "" when nothing matches (404).
  std::string backend(std::string_view path, std::string_view host = "any.example") const {
    rules::RequestView req{"GET", host, path, "", nullptr, nullptr};
    const auto* r = compiled->match("web", req);
    if (!r) return "";
    // Service keys are "<namespace>-<service>-<port>@kubernetes".
    std::string s = r->service->name;
    s = s.substr(0, s.find('@'));
    s = s.substr(s.find('-') + 1);
    return s.substr(0, s.rfind('-'));
  }
};

Routed route(const std::string& name, IngressOptions opt = {}) {
  Routed out;
  out.table = compiler::compile({{"kubernetes", translate(fixture(name), opt)}});
  auto compiled = dataplane::routing::CompiledTable::build(out.table);
  EXPECT_TRUE(compiled.ok()) << compiled.error();
  if (compiled) out.compiled = *compiled;
  return out;
}

// Every row of the path-matching examples table in the Kubernetes Ingress documentation.
TEST(IngressPaths, DocumentationExamples) {
  struct Row {
    const char* fixture;
    const char* request;
    const char* expected;  // backend service, or "" for no match
  };
  const Row rows[] = {
      {"paths_prefix_root", "/", "root"},
      {"paths_prefix_root", "/anything/at/all", "root"},
      {"paths_exact_foo", "/foo", "foo"},
      {"paths_exact_foo", "/bar", ""},
      {"paths_exact_foo", "/foo/", ""},
      {"paths_exact_foo_slash", "/foo", ""},
      {"paths_exact_foo_slash", "/foo/", "foo"},
      {"paths_prefix_foo", "/foo", "foo"},
      {"paths_prefix_foo", "/foo/", "foo"},
      {"paths_prefix_foo_slash", "/foo", "foo"},
      {"paths_prefix_foo_slash", "/foo/", "foo"},
      {"paths_prefix_aaa_bb", "/aaa/bbb", ""},
      {"paths_prefix_aaa_bbb", "/aaa/bbb", "bbb"},
      {"paths_prefix_aaa_bbb_slash", "/aaa/bbb", "bbb"},  // ignores the trailing slash
      {"paths_prefix_aaa_bbb", "/aaa/bbb/", "bbb"},       // matches the trailing slash
      {"paths_prefix_aaa_bbb", "/aaa/bbb/ccc", "bbb"},    // matches a subpath
      {"paths_prefix_aaa_bbb", "/aaa/bbbxyz", ""},        // not a string prefix match
      {"paths_prefix_root_aaa", "/aaa/ccc", "aaa"},
      {"paths_prefix_root_aaa_bbb", "/aaa/bbb", "bbb"},
      {"paths_prefix_root_aaa_bbb", "/ccc", "root"},
      {"paths_prefix_aaa_default_backend", "/ccc", "fallback"},  // the default backend
      {"paths_prefix_aaa_default_backend", "/aaa", "aaa"},
      {"paths_mixed_exact_prefix", "/foo", "exact"},  // Exact preferred on a tie
      {"paths_mixed_exact_prefix", "/foo/x", "prefix"},
  };
  for (const auto& row : rows) {
    auto routed = route(row.fixture);
    EXPECT_TRUE(routed.table.diagnostics.empty()) << row.fixture;
    EXPECT_EQ(routed.backend(row.request), row.expected) << row.fixture << " " << row.request;
  }
}

TEST(IngressHosts, ExactBeatsWildcardBeatsAnyAndWildcardCoversOneLabel) {
  auto r = route("hosts");
  EXPECT_EQ(r.backend("/", "foo.bar.com"), "exact");
  EXPECT_EQ(r.backend("/", "baz.bar.com"), "wild");
  EXPECT_EQ(r.backend("/", "a.baz.bar.com"), "any");  // two labels: not the wildcard
  EXPECT_EQ(r.backend("/", "bar.com"), "any");
  EXPECT_EQ(r.backend("/", "other.example"), "any");
}

TEST(IngressClasses, OnlyOursAreTranslated) {
  auto hosts = [](const model::ProviderConfig& c) {
    std::set<std::string> out;
    for (const auto& r : c.routers) out.insert(r.rule.substr(0, r.rule.find(')') + 1));
    return out;
  };
  auto snap = fixture("classes");
  EXPECT_EQ(hosts(translate(snap, {})),
            (std::set<std::string>{"Host(`a.example`)", "Host(`d.example`)"}));
  IngressOptions all;
  all.watch_without_class = true;
  EXPECT_EQ(hosts(translate(snap, all)),
            (std::set<std::string>{"Host(`a.example`)", "Host(`d.example`)", "Host(`f.example`)"}));
  // An IngressClass of ours marked default takes the Ingresses that name no class.
  EXPECT_EQ(hosts(translate(fixture("default_class"), {})),
            (std::set<std::string>{"Host(`f.example`)"}));
}

TEST(IngressEndpoints, ReadyEndpointsOnTheNamedPortTerminatingDrained) {
  auto cfg = translate(fixture("endpoints"), {});
  std::map<std::string, const model::ConfigService*> by_name;
  for (const auto& s : cfg.services) by_name[s.name] = &s;
  ASSERT_TRUE(by_name.count("default-web-http"));
  std::vector<std::string> urls;
  for (const auto& srv : by_name["default-web-http"]->servers) urls.push_back(srv.url);
  // 10.244.1.6 is not ready and 10.244.1.7 terminating; two slices contribute.
  EXPECT_EQ(urls, (std::vector<std::string>{"http://10.244.1.5:8080", "http://10.244.2.8:8080"}));
  // The same Service port chosen by number.
  ASSERT_TRUE(by_name.count("default-web-80"));
  EXPECT_EQ(by_name["default-web-80"]->servers, by_name["default-web-http"]->servers);
  // A Service that does not exist yet: known route, no servers (503).
  ASSERT_TRUE(by_name.count("default-not-yet-80"));
  EXPECT_TRUE(by_name["default-not-yet-80"]->servers.empty());
  EXPECT_TRUE(by_name["default-not-yet-80"]->errors.empty());
  ASSERT_TRUE(by_name.count("default-web-8443"));
  ASSERT_EQ(by_name["default-web-8443"]->errors.size(), 1u);
  EXPECT_EQ(by_name["default-web-8443"]->errors[0],
            "ingress default/web spec.rules[0].http.paths[3].backend: service default/web has no "
            "port 8443");

  auto r = route("endpoints");
  EXPECT_EQ(r.backend("/by-number/x", "web.example"), "web");
  EXPECT_EQ(r.backend("/missing", "web.example"), "not-yet");
  // The bad-port path is rejected alone; its requests fall to "/".
  EXPECT_EQ(r.backend("/bad-port", "web.example"), "web");
  ASSERT_EQ(r.table.diagnostics.size(), 2u);  // the service and the router using it
}

TEST(IngressAnnotations, MiddlewaresEntrypointsPriorityAndErrorsNamingTheField) {
  auto cfg = translate(fixture("annotations_and_errors"), {});
  std::map<std::string, const model::ConfigRouter*> by_name;
  for (const auto& r : cfg.routers) by_name[r.name] = &r;
  const auto* ann = by_name.at("default-annotated-r0-p0");
  EXPECT_EQ(ann->middlewares, std::vector<std::string>{"auth@file"});
  EXPECT_EQ(ann->entrypoints, std::vector<std::string>{"websecure"});
  EXPECT_EQ(ann->priority, 500);

  const auto* ok = by_name.at("default-broken-r0-p0");
  ASSERT_EQ(ok->errors.size(), 1u);  // the annotation is the Ingress's, so every path has it
  EXPECT_EQ(ok->errors[0],
            "ingress default/broken: annotation wharf.ingress.kubernetes.io/router.priority=high: "
            "expected a positive integer");
  const auto* relative = by_name.at("default-broken-r0-p1");
  EXPECT_EQ(
      relative->errors.back(),
      "ingress default/broken spec.rules[0].http.paths[1].path: 'relative' must begin with '/'");
  const auto* regex = by_name.at("default-broken-r0-p2");
  EXPECT_EQ(
      regex->errors.back(),
      "ingress default/broken spec.rules[0].http.paths[2].pathType: expected Exact, Prefix or "
      "ImplementationSpecific, got 'Regex'");
}

TEST(IngressObjects, TypedListsAndSingleObjectsDecode) {
  Snapshot snap;
  ASSERT_TRUE(
      add_objects(
          R"({"kind":"IngressList","apiVersion":"networking.k8s.io/v1","metadata":{"resourceVersion":"7"},
      "items":[{"metadata":{"name":"x","namespace":"n"},"spec":{"ingressClassName":"wharf"}}]})",
          snap)
          .ok());
  ASSERT_EQ(snap.ingresses.size(), 1u);
  EXPECT_EQ(snap.ingresses[0].meta.ns, "n");
  ASSERT_TRUE(
      add_objects(
          R"({"kind":"Service","metadata":{"name":"s","namespace":"n"},"spec":{"ports":[{"port":80}]}})",
          snap)
          .ok());
  ASSERT_EQ(snap.services.size(), 1u);
  EXPECT_FALSE(add_objects("{", snap).ok());
}

}  // namespace
}  // namespace wharf::controller::kubernetes
