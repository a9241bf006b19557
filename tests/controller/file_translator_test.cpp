#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

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

// Middlewares as the Jellyfin/Immich/homelab guides write them for Traefik, unchanged.
TEST(FileTranslator, EverydayTraefikMiddlewaresCompileWithoutRejections) {
  auto c = translate(R"yaml(
http:
  routers:
    app:
      rule: "Host(`app.example`)"
      service: app
      middlewares: [secured, strip-api]
  services:
    app:
      loadBalancer:
        servers: [{url: "http://127.0.0.1:9"}]
  middlewares:
    secured:
      chain:
        middlewares: [security-headers, lan-only, limit, auth]
    security-headers:
      headers:
        stsSeconds: 31536000
        stsIncludeSubdomains: true
        stsPreload: true
        frameDeny: true
        contentTypeNosniff: true
        referrerPolicy: "same-origin"
        customRequestHeaders:
          X-Forwarded-Proto: https
        customResponseHeaders:
          X-Robots-Tag: "noindex,nofollow"
          Server: ""
        accessControlAllowOriginList: ["https://app.example"]
    lan-only:
      ipAllowList:
        sourceRange: ["192.168.0.0/16", "10.0.0.0/8"]
        ipStrategy:
          depth: 1
    limit:
      rateLimit:
        average: 100
        period: 1s
        burst: 50
    auth:
      basicAuth:
        users:
          - "admin:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/"
        removeHeader: true
    strip-api:
      stripPrefix:
        prefixes: ["/api"]
    to-https:
      redirectScheme:
        scheme: https
        permanent: true
)yaml",
                     "dynamic.yml");
  ASSERT_TRUE(c) << c.error();
  ASSERT_TRUE(c->diagnostics.empty());
  auto t = compiler::compile({{"file", *c}});
  for (const auto& d : t.diagnostics) ADD_FAILURE() << d.kind << " " << d.name << ": " << d.message;
  ASSERT_EQ(t.routers.size(), 1u);
  EXPECT_EQ(t.middlewares.size(), 7u);
  EXPECT_TRUE(model::validate(t).ok()) << model::validate(t).error();
}

// Traefik reads a scalar entryPoints as a comma-separated list; real files write it so.
TEST(FileTranslator, AScalarEntryPointsValueIsACommaSeparatedList) {
  auto c = translate(R"yaml(
http:
  routers:
    one:
      rule: Host(`a.example`)
      service: s
      entryPoints: websecure
    two:
      rule: Host(`b.example`)
      service: s
      entryPoints: "web, websecure"
  services:
    s:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:8080
)yaml",
                     "dynamic.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->routers.size(), 2u);
  EXPECT_TRUE(c->routers[0].errors.empty());
  EXPECT_EQ(c->routers[0].entrypoints, std::vector<std::string>{"websecure"});
  EXPECT_EQ(c->routers[1].entrypoints, (std::vector<std::string>{"web", "websecure"}));
}

TEST(FileTranslator, StickyCookieAndStrategy) {
  auto c = translate(R"yaml(
http:
  services:
    plain-sticky:
      loadBalancer:
        sticky:
          cookie: {}
        servers: [{url: "http://127.0.0.1:9"}]
    named:
      loadBalancer:
        strategy: p2c
        sticky:
          cookie:
            name: srv
            httpOnly: true
            sameSite: lax
        servers: [{url: "http://127.0.0.1:9"}]
    bad:
      loadBalancer:
        sticky:
          cookie:
            flavour: oat
        servers: [{url: "http://127.0.0.1:9"}]
)yaml",
                     "dynamic.yml");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->services.size(), 3u);
  std::map<std::string, const model::ConfigService*> by;
  for (const auto& s : c->services) by[s.name] = &s;
  ASSERT_TRUE(by["plain-sticky"]->sticky);
  EXPECT_EQ(by["plain-sticky"]->sticky->name, "");
  EXPECT_EQ(by["named"]->strategy, "p2c");
  EXPECT_EQ(by["named"]->sticky->name, "srv");
  EXPECT_TRUE(by["named"]->sticky->http_only);
  EXPECT_EQ(by["named"]->sticky->same_site, "lax");
  ASSERT_EQ(by["bad"]->errors.size(), 1u);
  EXPECT_EQ(by["bad"]->errors[0],
            "dynamic.yml:21: http.services.bad.loadBalancer.sticky.cookie.flavour: unknown "
            "load balancer option");
}

// The demo configuration the README's run command serves compiles without a rejection.
TEST(FileTranslator, TheDemoConfigurationCompilesCleanly) {
  std::ifstream in(std::string(WHARF_FIXTURES_DIR) + "/../../../deploy/dynamic.yml");
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(text.str().empty());
  auto c = translate(text.str(), "deploy/dynamic.yml");
  ASSERT_TRUE(c) << c.error();
  auto t = compiler::compile({{"file", *c}});
  for (const auto& d : t.diagnostics) ADD_FAILURE() << d.kind << " " << d.name << ": " << d.message;
  EXPECT_EQ(t.routers.size(), 4u);
  EXPECT_EQ(t.middlewares.size(), 2u);
  EXPECT_TRUE(model::validate(t).ok());
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
    ftp:
      loadBalancer:
        servers:
          - url: ftp://10.0.0.1
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
            "dyn.yml:20: http.services.ftp.loadBalancer.servers: server url 'ftp://10.0.0.1': "
            "expected http://, https:// or h2c://");
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

TEST(FileTranslator, UnknownTcpSectionsAndTcpMiddlewaresAreReported) {
  auto c = translate("tcp:\n  routers: {}\n  routes: {}\n  middlewares: {}\n", "d.yml");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->diagnostics.size(), 2u);
  EXPECT_EQ(c->diagnostics[0].message, "d.yml:3: tcp.routes: unknown section");
  EXPECT_EQ(c->diagnostics[1].message,
            "d.yml:4: tcp.middlewares: TCP middlewares are not supported; section ignored (a "
            "TCP router naming one is not served)");
}

// A FileReader over files held in memory (path → content); others cannot be read.
FileReader reader_of(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

std::string fixture_pem(const std::string& name) {
  std::ifstream in(std::string(WHARF_FIXTURES_DIR) + "/tls/" + name);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(FileTranslator, TlsCertificatesFromFilesOrInlineEachCheckedAlone) {
  std::map<std::string, std::string> files = {{"/certs/web.crt", fixture_pem("web.crt")},
                                              {"/certs/web.key", fixture_pem("web.key")},
                                              {"/certs/other.key", fixture_pem("other.key")}};
  FileReader read = reader_of(files);
  // The legacy certificate goes inline, as Traefik allows.
  std::string inline_cert = fixture_pem("cn.crt"), inline_key = fixture_pem("cn.key");
  auto indent = [](std::string pem) {
    std::string out;
    for (char ch : pem) out += ch == '\n' ? std::string("\n        ") : std::string(1, ch);
    return out;
  };
  std::string yaml = R"yaml(tls:
  certificates:
    - certFile: /certs/web.crt
      keyFile: /certs/web.key
      stores: [default]
    - certFile: /certs/web.crt
      keyFile: /certs/other.key
    - certFile: /certs/missing.crt
      keyFile: /certs/web.key
    - certFile: |
        )yaml" + indent(inline_cert) +
                     R"yaml(
      keyFile: |
        )yaml" + indent(inline_key) +
                     R"yaml(
    - certFile: /certs/web.crt
      keyFile: /certs/web.key
      stores: [internal]
  options:
    modern: {minVersion: VersionTLS13}
  stores:
    default:
      defaultCertificate:
        certFile: /certs/web.crt
        keyFile: /certs/web.key
)yaml";
  auto c = translate(yaml, "dynamic.yml", read);
  ASSERT_TRUE(c.ok()) << c.error();
  auto line_of = [&](const std::string& text) {
    auto at = yaml.find(text);
    return std::to_string(1 + std::count(yaml.begin(), yaml.begin() + at, '\n'));
  };
  ASSERT_EQ(c->certificates.size(), 6u);
  EXPECT_TRUE(c->certificates[5].is_default);
  EXPECT_TRUE(c->certificates[5].errors.empty());
  const auto& web = c->certificates[0];
  EXPECT_TRUE(web.errors.empty()) << web.errors[0];
  EXPECT_EQ(web.domains, (std::vector<std::string>{"web.example.com", "www.example.com"}));
  EXPECT_EQ(web.source, "dynamic.yml:3");
  EXPECT_EQ(c->certificates[1].errors,
            std::vector<std::string>{
                "dynamic.yml:6: tls.certificates[1]: keyFile /certs/other.key does not belong to "
                "the certificate in certFile /certs/web.crt"});
  EXPECT_TRUE(c->certificates[1].key_pem.empty());  // Nothing of a rejected pair is kept.
  EXPECT_EQ(c->certificates[2].errors,
            std::vector<std::string>{
                "dynamic.yml:8: tls.certificates[2].certFile /certs/missing.crt: cannot be read"});
  EXPECT_TRUE(c->certificates[3].errors.empty()) << c->certificates[3].errors[0];
  EXPECT_EQ(c->certificates[3].domains, std::vector<std::string>{"legacy.example.com"});
  EXPECT_EQ(
      c->certificates[4].errors,
      std::vector<std::string>{"dynamic.yml:" + line_of("      stores: [internal]") +
                               ": tls.certificates[4].stores: only the default store exists"});
  EXPECT_TRUE(c->diagnostics.empty());
  ASSERT_EQ(c->tls_options.size(), 1u);
  EXPECT_EQ(c->tls_options[0].options.min_version, "1.3");

  // Compiled: the good ones are in the table, each bad one is a diagnostic of its own.
  auto table = compiler::compile({{"file", *c}});
  ASSERT_EQ(table.certificates.size(), 3u);
  EXPECT_EQ(table.certificates[0].name, "certificate-0@file");
  EXPECT_EQ(table.certificates[2].name, "default-certificate@file");
  EXPECT_TRUE(table.certificates[2].is_default);
  std::size_t rejected = 0;
  for (const auto& d : table.diagnostics) rejected += d.kind == "certificate";
  EXPECT_EQ(rejected, 3u);
}

TEST(FileTranslator, ServersTransportsCarryCheckedCasAndClientCertificates) {
  std::map<std::string, std::string> files = {{"/certs/web.crt", fixture_pem("web.crt")},
                                              {"/certs/web.key", fixture_pem("web.key")}};
  FileReader read = reader_of(files);
  const std::string yaml = R"yaml(http:
  routers:
    r: {rule: Host(`nas.example`), service: nas}
  services:
    nas:
      loadBalancer:
        servers: [{url: "https://192.168.1.5:5001"}]
        serversTransport: nas-ca
    broken:
      loadBalancer:
        servers: [{url: "https://192.168.1.6"}]
        serversTransport: bad
    missing:
      loadBalancer:
        servers: [{url: "https://192.168.1.7"}]
        serversTransport: nope
  serversTransports:
    nas-ca:
      serverName: nas.home
      rootCAs: [/certs/web.crt]
      certificates:
        - certFile: /certs/web.crt
          keyFile: /certs/web.key
      forwardingTimeouts:
        dialTimeout: 5s
        responseHeaderTimeout: 90s
      maxIdleConnsPerHost: 10
    bad:
      rootCAs: [/certs/web.key, /certs/missing.pem]
      spiffe: {ids: []}
)yaml";
  auto c = translate(yaml, "dynamic.yml", read);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->transports.size(), 2u);
  const auto& nas = c->transports[0];
  EXPECT_TRUE(nas.errors.empty()) << nas.errors[0];
  EXPECT_EQ(nas.server_name, "nas.home");
  EXPECT_EQ(nas.root_cas, std::vector<std::string>{fixture_pem("web.crt")});
  EXPECT_EQ(nas.cert_pem, fixture_pem("web.crt"));
  EXPECT_EQ(nas.dial_timeout_ms, 5000u);
  EXPECT_EQ(nas.response_header_timeout_ms, 90'000u);
  EXPECT_EQ(
      c->transports[1].errors,
      (std::vector<std::string>{
          "dynamic.yml:29: http.serversTransports.bad.rootCAs: rootCAs /certs/web.key: no "
          "PEM certificate in it",
          "dynamic.yml:29: http.serversTransports.bad.rootCAs: /certs/missing.pem: cannot "
          "be read",
          "dynamic.yml:30: http.serversTransports.bad.spiffe: not supported (serverName, "
          "insecureSkipVerify, rootCAs, certificates, forwardingTimeouts, disableHTTP2 are)"}));

  auto table = compiler::compile({{"file", *c}});
  ASSERT_EQ(table.transports.size(), 1u);
  EXPECT_EQ(table.transports[0].name, "nas-ca@file");
  ASSERT_EQ(table.services.size(), 1u);
  EXPECT_EQ(table.services[0].transport, "nas-ca@file");
  EXPECT_EQ(table.services[0].timeouts.connect_ms, 5000u);
  EXPECT_EQ(table.services[0].timeouts.response_header_ms, 90'000u);
  std::map<std::string, std::string> why;
  for (const auto& d : table.diagnostics) why[d.kind + " " + d.name] = d.message;
  EXPECT_EQ(why["service broken@file"], "uses servers transport bad@file, which was rejected");
  EXPECT_EQ(why["service missing@file"], "uses servers transport nope@file, which does not exist");
  EXPECT_TRUE(why.count("transport bad@file"));
  EXPECT_EQ(table.routers.size(), 1u);
  EXPECT_TRUE(model::validate(table).ok()) << model::validate(table).error();
}

TEST(FileTranslator, BasicAuthUsersFileIsReadIntoTheUsers) {
  std::map<std::string, std::string> files = {
      {"/etc/wharf/users",
       "# family\nalice:{SHA}fDYHuOYbzxlE6ehQOmYPIfS28/E=\r\n\n  "
       "bob:$apr1$x1y2z3$abcdefghijklmnopqrstuv\n"}};
  FileReader read = reader_of(files);
  auto c = translate(R"yaml(http:
  middlewares:
    family:
      basicAuth:
        usersFile: /etc/wharf/users
        users: ["carol:{SHA}fDYHuOYbzxlE6ehQOmYPIfS28/E="]
    lost:
      basicAuth:
        usersFile: /etc/wharf/missing
)yaml",
                     "dynamic.yml", read);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->middlewares.size(), 2u);
  EXPECT_EQ(c->middlewares[0].options,
            (std::vector<std::pair<std::string, std::string>>{
                {"users",
                 "alice:{SHA}fDYHuOYbzxlE6ehQOmYPIfS28/E=,bob:$apr1$x1y2z3$abcdefghijklmnopqrstuv,"
                 "carol:{SHA}fDYHuOYbzxlE6ehQOmYPIfS28/E="}}));
  EXPECT_EQ(c->middlewares[1].errors,
            std::vector<std::string>{
                "dynamic.yml:7: basicauth.usersFile /etc/wharf/missing: cannot be read"});
  auto table = compiler::compile({{"file", *c}});
  ASSERT_EQ(table.middlewares.size(), 1u);
  EXPECT_EQ(table.middlewares[0].name, "family@file");
}

TEST(FileTranslator, TlsOptionsReadTraefiksNamesAndRefuseWhatWharfWillNotDo) {
  std::map<std::string, std::string> files = {{"/certs/ca.crt", fixture_pem("web.crt")}};
  FileReader read = reader_of(files);
  const std::string yaml = R"yaml(http:
  routers:
    strict:
      rule: Host(`secure.example`)
      service: s
      tls: {options: mtls}
    broken:
      rule: Host(`b.example`)
      service: s
      tls: {options: old}
    nowhere:
      rule: Host(`n.example`)
      service: s
      tls: {options: missing}
  services:
    s:
      loadBalancer:
        servers: [{url: "http://127.0.0.1:1"}]
tls:
  options:
    default:
      minVersion: VersionTLS12
      cipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
                     TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, TLS_FALLBACK_SCSV]
      curvePreferences: [X25519, CurveP384]
      sniStrict: true
    mtls:
      minVersion: VersionTLS13
      clientAuth:
        caFiles: [/certs/ca.crt]
        clientAuthType: RequireAndVerifyClientCert
    old:
      minVersion: VersionTLS10
      cipherSuites: [TLS_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
    wrong:
      cipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM, TLS_BOGUS]
)yaml";
  auto c = translate(yaml, "dynamic.yml", read);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->tls_options.size(), 4u);
  const auto& d = c->tls_options[0].options;
  // A CBC suite listed on purpose is offered (with a warning); TLS_FALLBACK_SCSV is a signal.
  EXPECT_EQ(d.cipher_suites,
            (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384",
                                      "ECDHE-RSA-AES128-SHA256"}));
  ASSERT_EQ(c->tls_options[0].warnings.size(), 1u);
  EXPECT_NE(c->tls_options[0].warnings[0].find("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 is a CBC "
                                               "suite"),
            std::string::npos);
  EXPECT_EQ(d.curves, (std::vector<std::string>{"X25519", "P-384"}));
  EXPECT_TRUE(d.sni_strict);
  const auto& m = c->tls_options[1].options;
  EXPECT_EQ(m.min_version, "1.3");
  EXPECT_EQ(m.client_auth, "require_and_verify");
  ASSERT_EQ(m.client_cas.size(), 1u);
  // Older than Wharf takes: raised, or left out, never looser; the options stay in force.
  EXPECT_TRUE(c->tls_options[2].errors.empty());
  EXPECT_EQ(c->tls_options[2].options.min_version, "1.2");
  EXPECT_EQ(c->tls_options[2].options.cipher_suites,
            std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256"});
  EXPECT_EQ(c->tls_options[2].warnings,
            (std::vector<std::string>{
                "dynamic.yml:33: tls.options.old.minVersion: VersionTLS10 raised to TLS 1.2, "
                "Wharf's floor",
                "dynamic.yml:34: tls.options.old.cipherSuites: TLS_RSA_WITH_AES_128_CBC_SHA left "
                "out: no forward secrecy or a broken cipher; the other suites are offered"}));
  EXPECT_EQ(c->tls_options[3].errors,
            (std::vector<std::string>{
                "dynamic.yml:36: tls.options.wrong.cipherSuites: TLS_ECDHE_RSA_WITH_AES_128_GCM is "
                "not a TLS 1.2 or 1.3 cipher suite Wharf knows",
                "dynamic.yml:36: tls.options.wrong.cipherSuites: TLS_BOGUS is not a TLS 1.2 or 1.3 "
                "cipher suite Wharf knows"}));
  auto table = compiler::compile({{"file", *c}});
  ASSERT_EQ(table.routers.size(), 2u);
  EXPECT_EQ(table.routers[0].tls_options, "old@file");  // "broken" is served, with TLS 1.2
  EXPECT_EQ(table.routers[1].tls_options, "mtls@file");
  std::map<std::string, std::string> why;
  for (const auto& diag : table.diagnostics) why[diag.kind + " " + diag.name] = diag.message;
  EXPECT_EQ(why["tls options wrong@file"],
            "dynamic.yml:36: tls.options.wrong.cipherSuites: TLS_ECDHE_RSA_WITH_AES_128_GCM is not "
            "a TLS 1.2 or 1.3 cipher suite Wharf knows; dynamic.yml:36: "
            "tls.options.wrong.cipherSuites: TLS_BOGUS is not a TLS 1.2 or 1.3 cipher suite Wharf "
            "knows");
  EXPECT_EQ(why["router nowhere@file"], "uses TLS options missing@file, which do not exist");
  EXPECT_TRUE(model::validate(table).ok()) << model::validate(table).error();
}

// The same configuration as kTraefikDynamic, in TOML as Traefik's docs also show it.
constexpr const char* kTraefikDynamicToml = R"toml(# from a Traefik setup
[http.routers.jellyfin]
  rule = "Host(`jellyfin.home.example`)"
  entryPoints = ["websecure"]
  service = "jellyfin"
  priority = 100
  [http.routers.jellyfin.tls]
    certResolver = "letsencrypt"
[http.routers.api]
  rule = "Host(`api.example`) && PathPrefix(`/v1`)"
  service = "api"
  middlewares = ["strip-v1"]

[http.services.jellyfin.loadBalancer]
  passHostHeader = false
  [[http.services.jellyfin.loadBalancer.servers]]
    url = "http://192.168.1.20:8096"
[http.services.api.LoadBalancer]
  [[http.services.api.LoadBalancer.servers]]
    url = "http://127.0.0.1:9001"
    weight = 3
  [[http.services.api.LoadBalancer.servers]]
    url = "http://127.0.0.1:9002"

[http.middlewares.strip-v1.stripPrefix]
  prefixes = ["/v1"]

[[tls.certificates]]
  certFile = "/certs/a.crt"
  keyFile = "/certs/a.key"
)toml";

TEST(FileTranslator, TomlReadsAsTheSameConfigurationAsYaml) {
  auto read = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto yaml = translate(kTraefikDynamic, "dynamic.yml", read);
  auto toml = translate(kTraefikDynamicToml, "dynamic.toml", read);
  ASSERT_TRUE(yaml.ok()) << yaml.error();
  ASSERT_TRUE(toml.ok()) << toml.error();
  // Sources name each format's own lines, and TOML tables come in name order; everything else
  // is equal.
  auto without_sources = [](model::ProviderConfig c) {
    auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
    std::sort(c.routers.begin(), c.routers.end(), by_name);
    std::sort(c.services.begin(), c.services.end(), by_name);
    for (auto& r : c.routers) r.source.clear();
    for (auto& s : c.services) s.source.clear();
    for (auto& m : c.middlewares) m.source.clear();
    for (auto& x : c.certificates) x.source.clear(), x.errors.clear();
    return c;
  };
  EXPECT_EQ(without_sources(*yaml), without_sources(*toml));
  ASSERT_EQ(toml->routers.size(), 2u);
  EXPECT_EQ(toml->routers[0].source, "dynamic.toml:9");  // api
  EXPECT_EQ(toml->routers[1].source, "dynamic.toml:2");  // jellyfin
  ASSERT_EQ(toml->services.size(), 2u);
  EXPECT_EQ(toml->services[0].servers[0].weight, 3u);
}

TEST(FileTranslator, TomlErrorsNameTheTomlLine) {
  auto c = translate(R"toml(
[http.routers.a]
  rule = "Host(`a`)"
  service = "a"
  priority = "high"
[http.services.a.loadBalancer]
  [[http.services.a.loadBalancer.servers]]
    url = "ftp://a"
)toml",
                     "d.toml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->routers.size(), 1u);
  ASSERT_EQ(c->routers[0].errors.size(), 1u);
  EXPECT_TRUE(c->routers[0].errors[0].starts_with("d.toml:5: ")) << c->routers[0].errors[0];
  ASSERT_EQ(c->services[0].errors.size(), 1u);
  EXPECT_TRUE(c->services[0].errors[0].starts_with("d.toml:8: ")) << c->services[0].errors[0];

  auto broken = translate("[http.routers.a]\nrule = \"Host(`a`)\nservice = \"a\"\n", "d.toml");
  ASSERT_FALSE(broken.ok());
  EXPECT_TRUE(broken.error().starts_with("d.toml:2:")) << broken.error();
}

TEST(FileTranslator, GoTemplatesEnvIsExpandedAndOtherActionsAreRefusedAsSuch) {
  auto c = translate(R"yaml(http:
  routers:
{{ range $i, $e := until 3 }}
    r{{ $e }}:
      rule: Host(`r{{ $e }}.example`)
{{ end }}
)yaml",
                     "dynamic.yml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "dynamic.yml:3: Go template action {{ range $i, $e := until 3 }} is not expanded by "
            "Wharf (only {{ env \"NAME\" }} is); render the file first and give Wharf the result");
  ::setenv("WHARF_TEST_DOMAIN", "home.example", 1);
  auto env = translate(R"yaml(# {{ a note in a comment is left alone }}
http:
  routers:
    pihole:
      rule: "Host(`pihole.{{env "WHARF_TEST_DOMAIN"}}`) || Host(`p.{{ env `WHARF_TEST_UNSET` }}x`)"
      service: s
)yaml",
                       "dynamic.yml");
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_EQ(env->routers[0].rule, "Host(`pihole.home.example`) || Host(`p.x`)");
}

// Options real configurations use: forwardAuth.tls files read by the controller (the data
// plane gets their PEM), deprecated headers options accepted with a warning, and the retry
// expression of buffering.
TEST(FileTranslator, MiddlewareOptionsRealConfigurationsUse) {
  std::map<std::string, std::string> files = {{"/certs/ca.crt", fixture_pem("web.crt")},
                                              {"/certs/web.crt", fixture_pem("web.crt")},
                                              {"/certs/web.key", fixture_pem("web.key")}};
  FileReader read = reader_of(files);
  auto c = translate(R"yaml(http:
  middlewares:
    authelia:
      forwardAuth:
        address: https://authelia:9091/api/verify
        maxResponseBodySize: 4096
        tls:
          ca: /certs/ca.crt
          cert: /certs/web.crt
          key: /certs/web.key
    broken-auth:
      forwardAuth:
        address: https://authelia:9091/api/verify
        tls: {ca: /certs/missing.crt}
    secure:
      headers:
        sslRedirect: true
        hostsProxyHeaders: [X-Forwarded-Host]
        sslProxyHeaders: {X-Forwarded-Proto: https}
    retry:
      buffering:
        retryExpression: IsNetworkError() && Attempts() <= 2
)yaml",
                     "dynamic.yml", read);
  ASSERT_TRUE(c.ok()) << c.error();
  auto table = compiler::compile({{"file", *c}});
  std::map<std::string, model::Diagnostic> why;
  for (const auto& d : table.diagnostics) why[d.name] = d;
  ASSERT_EQ(table.middlewares.size(), 3u);
  EXPECT_EQ(table.middlewares[0].name, "authelia@file");
  for (const auto& [k, v] : table.middlewares[0].options) {
    if (k.starts_with("tls.")) {
      EXPECT_TRUE(v.starts_with("-----BEGIN ")) << k;
    }
  }
  EXPECT_FALSE(why["broken-auth@file"].warning);
  EXPECT_EQ(why["broken-auth@file"].message,
            "dynamic.yml:11: forwardauth.tls.ca /certs/missing.crt: cannot be read");
  EXPECT_TRUE(why["secure@file"].warning);
  EXPECT_EQ(why["secure@file"].message,
            "dynamic.yml:15: headers.sslredirect: deprecated and without effect in Traefik v3 "
            "(and in Wharf); redirect with a redirectScheme middleware or the entry point's "
            "redirections");
  EXPECT_TRUE(model::validate(table).ok()) << model::validate(table).error();
}

}  // namespace
}  // namespace wharf::controller::file
