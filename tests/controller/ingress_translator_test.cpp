// Ingress translation from fixture files of API JSON (`kubectl get -o json` lists, one case
// per file), checked through the real compiler and the data plane's real matcher, so "which
// backend answers this path" is decided exactly as in production.

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "controller/compiler/compiler.hpp"
#include "controller/kubernetes/ingress_translator.hpp"
#include "controller/provider/aggregator.hpp"
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
    // Every route answers over TLS the same way.
    req.tls = true;
    const auto* over_tls = compiled->match("web", req);
    auto plain_name = r ? r->name : "";
    if (r) plain_name.insert(plain_name.find('@'), "-tls");
    EXPECT_EQ(over_tls ? over_tls->name : "", plain_name) << host << path;
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
TEST(IngressTranslator, PathsDocumentationExamples) {
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

TEST(IngressTranslator, HostsExactBeatsWildcardBeatsAnyAndWildcardCoversOneLabel) {
  auto r = route("hosts");
  EXPECT_EQ(r.backend("/", "foo.bar.com"), "exact");
  EXPECT_EQ(r.backend("/", "baz.bar.com"), "wild");
  EXPECT_EQ(r.backend("/", "a.baz.bar.com"), "any");  // two labels: not the wildcard
  EXPECT_EQ(r.backend("/", "bar.com"), "any");
  EXPECT_EQ(r.backend("/", "other.example"), "any");
}

TEST(IngressTranslator, ClassesOnlyOursAreTranslated) {
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

TEST(IngressTranslator, EndpointsReadyEndpointsOnTheNamedPortTerminatingDrained) {
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
  // The service, and the plain and TLS routers using it.
  ASSERT_EQ(r.table.diagnostics.size(), 3u);
}

TEST(IngressTranslator, EndpointsServiceAnnotationsChooseHttpsAndATransport) {
  auto snap = fixture("endpoints");
  for (auto& svc : snap.services) {
    if (svc.meta.name != "web") continue;
    svc.meta.annotations["wharf.ingress.kubernetes.io/service.serversscheme"] = "https";
    svc.meta.annotations["wharf.ingress.kubernetes.io/service.serverstransport"] = "pods@file";
  }
  auto cfg = translate(snap, {});
  std::map<std::string, const model::ConfigService*> by_name;
  for (const auto& s : cfg.services) by_name[s.name] = &s;
  ASSERT_TRUE(by_name.count("default-web-http"));
  const auto& web = *by_name["default-web-http"];
  EXPECT_EQ(web.transport, "pods@file");
  ASSERT_EQ(web.servers.size(), 2u);
  EXPECT_EQ(web.servers[0].url, "https://10.244.1.5:8080");

  for (auto& svc : snap.services) {
    if (svc.meta.name == "web") {
      svc.meta.annotations["wharf.ingress.kubernetes.io/service.serversscheme"] = "grpc";
    }
  }
  cfg = translate(snap, {});
  for (const auto& s : cfg.services) by_name[s.name] = &s;
  ASSERT_EQ(by_name["default-web-http"]->errors.size(), 1u);
  EXPECT_EQ(by_name["default-web-http"]->errors[0],
            "service default/web: annotation wharf.ingress.kubernetes.io/service.serversscheme="
            "grpc: expected http, https or h2c");
}

// KEP-3726's appProtocol on the Service port says how its servers speak: kubernetes.io/h2c is
// HTTP/2 with prior knowledge (gRPC), https and kubernetes.io/wss are TLS, kubernetes.io/ws and
// unknown names stay HTTP/1.1; Traefik's serversscheme annotation wins over it.
TEST(IngressTranslator, EndpointsTheServicePortsAppProtocolChoosesHowServersAreReached) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kubernetes.io/h2c", "h2c://10.244.1.5:8080"},
      {"https", "https://10.244.1.5:8080"},
      {"kubernetes.io/wss", "https://10.244.1.5:8080"},
      {"kubernetes.io/ws", "http://10.244.1.5:8080"},
      {"example.com/custom", "http://10.244.1.5:8080"},
  };
  for (const auto& [app_protocol, url] : cases) {
    auto snap = fixture("endpoints");
    for (auto& svc : snap.services) {
      if (svc.meta.name != "web") continue;
      for (auto& p : svc.ports) p.app_protocol = app_protocol;
    }
    auto cfg = translate(snap, {});
    const model::ConfigService* web = nullptr;
    for (const auto& s : cfg.services) {
      if (s.name == "default-web-http") web = &s;
    }
    ASSERT_NE(web, nullptr);
    ASSERT_FALSE(web->servers.empty()) << app_protocol;
    EXPECT_EQ(web->servers[0].url, url) << app_protocol;
  }
  // Traefik's annotation, on a Service Traefik served, works unchanged; its other Service
  // annotations are left alone.
  auto traefik = fixture("endpoints");
  for (auto& svc : traefik.services) {
    if (svc.meta.name != "web") continue;
    svc.meta.annotations["traefik.ingress.kubernetes.io/service.serversscheme"] = "h2c";
    svc.meta.annotations["traefik.ingress.kubernetes.io/service.sticky.cookie"] = "true";
  }
  auto traefik_cfg = translate(traefik, {});
  for (const auto& s : traefik_cfg.services) {
    if (s.name == "default-web-http") {
      EXPECT_TRUE(s.errors.empty());
      EXPECT_EQ(s.servers.at(0).url, "h2c://10.244.1.5:8080");
    }
  }
  auto snap = fixture("endpoints");
  for (auto& svc : snap.services) {
    if (svc.meta.name != "web") continue;
    for (auto& p : svc.ports) p.app_protocol = "kubernetes.io/h2c";
    svc.meta.annotations["wharf.ingress.kubernetes.io/service.serversscheme"] = "http";
  }
  auto cfg = translate(snap, {});
  for (const auto& s : cfg.services) {
    if (s.name == "default-web-http") {
      EXPECT_EQ(s.servers.at(0).url, "http://10.244.1.5:8080");
    }
  }
}

TEST(IngressTranslator, AnnotationsMiddlewaresEntrypointsPriorityResolverAndErrorsNamingTheField) {
  auto cfg = translate(fixture("annotations_and_errors"), {});
  std::map<std::string, const model::ConfigRouter*> by_name;
  for (const auto& r : cfg.routers) by_name[r.name] = &r;
  const auto* ann = by_name.at("default-annotated-r0-p0");
  EXPECT_EQ(ann->middlewares, std::vector<std::string>{"auth@file"});
  EXPECT_EQ(ann->entrypoints, std::vector<std::string>{"websecure"});
  EXPECT_EQ(ann->priority, 500);
  // ACME for the TLS twin only: a plain-HTTP router has no certificate to ask for.
  EXPECT_EQ(ann->cert_resolver, "");
  EXPECT_EQ(by_name.at("default-annotated-r0-p0-tls")->cert_resolver, "le");

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

// With a certificate resolver, a TLS section is one certificate: its wildcard and apex come in
// one order for the rules of both; a host in another section gets that section's; a host in
// none asks for itself.
TEST(IngressTranslator, TlsACertificateResolverIsAskedForEachTlsSectionsHosts) {
  auto cfg = translate(fixture("acme_tls_hosts"), {});
  std::map<std::string, const model::ConfigRouter*> by_name;
  for (const auto& r : cfg.routers) by_name[r.name] = &r;
  using Sets = std::vector<std::vector<std::string>>;
  const Sets wild{{"*.home.example", "home.example"}};
  EXPECT_EQ(by_name.at("default-home-r0-p0-tls")->cert_domains, wild);
  EXPECT_EQ(by_name.at("default-home-r1-p0-tls")->cert_domains, wild);
  EXPECT_EQ(by_name.at("default-home-r2-p0-tls")->cert_domains, Sets{{"media.example"}});
  EXPECT_EQ(by_name.at("default-home-r3-p0-tls")->cert_domains, Sets{});
  EXPECT_EQ(by_name.at("default-home-r0-p0")->cert_domains, Sets{});  // Plain HTTP: none.

  // What the ACME manager is asked for, through the aggregator: three orders, not four.
  asio::io_context io;
  Stats stats;
  std::vector<CertificateRequest> asked;
  Aggregator agg(io.get_executor(), {"kubernetes"}, std::chrono::milliseconds(1),
                 std::chrono::seconds(10), stats, [](const model::RoutingTable&) {});
  agg.on_certificate_requests([&](std::vector<CertificateRequest> r) { asked = std::move(r); });
  agg.start();
  agg.update("kubernetes", cfg);
  io.run_for(std::chrono::milliseconds(200));
  std::set<std::vector<std::string>> orders;
  for (const auto& r : asked) {
    EXPECT_EQ(r.resolver, "dns");
    orders.insert(r.domains);
  }
  EXPECT_EQ(asked.size(), 3u);
  EXPECT_EQ(orders, (std::set<std::vector<std::string>>{
                        {"*.home.example", "home.example"}, {"media.example"}, {"plain.example"}}));
}

// TLS sections: one certificate per Secret, for the hosts of every section naming it; each
// broken or missing Secret is reported on its certificate and its Ingress, and nothing else
// changes (every Ingress still routes, its hosts fall back to the default certificate).
TEST(IngressTranslator, TlsCertificatesFromSecretsAndEveryBrokenSecretReported) {
  std::vector<IngressReport> reports;
  auto snap = fixture("tls");
  auto table = compiler::compile({{"kubernetes", translate(snap, {}, &reports)}});

  std::map<std::string, const model::Certificate*> certs;
  for (const auto& c : table.certificates) certs[c.name] = &c;
  ASSERT_EQ(certs.size(), 2u);
  const auto* web = certs.at("default-web-tls@kubernetes");
  EXPECT_EQ(web->domains, (std::vector<std::string>{"web.example.com", "www.example.com"}));
  EXPECT_TRUE(web->cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
  EXPECT_NE(web->key_pem.find("PRIVATE KEY"), std::string::npos);
  // A section without hosts: the certificate's own names.
  EXPECT_EQ(certs.at("default-wild-tls@kubernetes")->domains,
            (std::vector<std::string>{"*.apps.example.com", "apps.example.com"}));

  std::map<std::string, std::string> rejected;
  for (const auto& d : table.diagnostics) {
    EXPECT_EQ(d.kind, "certificate") << d.name << ": " << d.message;
    rejected[d.name] = d.message;
  }
  EXPECT_EQ(rejected.at("default-mismatched-tls@kubernetes"),
            "ingress default/mismatched spec.tls[0]: secret default/mismatched-tls: tls.key "
            "does not belong to the certificate in tls.crt");
  EXPECT_TRUE(rejected.at("default-garbage-tls@kubernetes")
                  .starts_with("ingress default/garbage spec.tls[0]: secret default/garbage-tls: "
                               "tls.crt: not a PEM certificate"));
  EXPECT_EQ(rejected.at("default-notbase64-tls@kubernetes"),
            "ingress default/notbase64 spec.tls[0]: secret default/notbase64-tls: "
            "data[tls.crt] is not base64");
  EXPECT_EQ(rejected.at("default-opaque@kubernetes"),
            "ingress default/opaque spec.tls[0]: secret default/opaque is of type 'Opaque', "
            "not kubernetes.io/tls");
  EXPECT_EQ(rejected.at("default-nowhere-tls@kubernetes"),
            "ingress default/missing spec.tls[0]: secret default/nowhere-tls not found (it must be "
            "of type kubernetes.io/tls)");
  // Secrets are per namespace: team/elsewhere cannot use default/web-tls.
  EXPECT_TRUE(rejected.count("team-web-tls@kubernetes"));
  EXPECT_EQ(rejected.size(), 6u);

  // Every Ingress of ours still routes, broken Secret or not; nginx's is not ours.
  std::set<std::string> routed;
  for (const auto& r : table.routers) routed.insert(r.name.substr(0, r.name.find("-r0")));
  EXPECT_EQ(routed,
            (std::set<std::string>{"default-apps", "default-garbage", "default-missing",
                                   "default-mismatched", "default-notbase64", "default-opaque",
                                   "default-sni-only", "default-web", "default-www"}));

  // The reports carry each Ingress's own problems, for its Warning Event.
  std::map<std::string, const IngressReport*> by_name;
  for (const auto& r : reports) by_name[r.meta.ns + "/" + r.meta.name] = &r;
  ASSERT_EQ(by_name.size(), 11u);
  EXPECT_TRUE(by_name.at("default/web")->ours);
  EXPECT_TRUE(by_name.at("default/web")->problems.empty());
  EXPECT_EQ(by_name.at("default/web")->meta.uid, "uid-default-web");
  EXPECT_EQ(by_name.at("default/web")->meta.generation, 1);
  EXPECT_EQ(by_name.at("default/missing")->problems,
            std::vector<std::string>{rejected.at("default-nowhere-tls@kubernetes")});
  const auto* nginx = by_name.at("default/nginx-owned");
  EXPECT_FALSE(nginx->ours);
  EXPECT_TRUE(nginx->problems.empty());
  ASSERT_EQ(nginx->status.size(), 1u);
  EXPECT_EQ(nginx->status[0].ip, "192.0.2.10");
}

// A Warning Event names the Ingress's own bad path or backend, not only the router's.
TEST(IngressTranslator, ReportsProblemsOfRoutersAndTheirServices) {
  std::vector<IngressReport> reports;
  translate(fixture("annotations_and_errors"), {}, &reports);
  const IngressReport* broken = nullptr;
  for (const auto& r : reports) {
    if (r.meta.name == "broken") broken = &r;
  }
  ASSERT_NE(broken, nullptr);
  EXPECT_TRUE(broken->ours);
  ASSERT_FALSE(broken->problems.empty());
  EXPECT_NE(std::find(broken->problems.begin(), broken->problems.end(),
                      "ingress default/broken spec.rules[0].http.paths[1].path: 'relative' must "
                      "begin with '/'"),
            broken->problems.end());
}

TEST(IngressTranslator, ObjectsTypedListsAndSingleObjectsDecode) {
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
