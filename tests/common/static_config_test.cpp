#include <gtest/gtest.h>

#include "config/static_config.hpp"
#include "text/duration.hpp"

namespace wharf::config {
namespace {

// A traefik.yml as homelab guides write it (mixed key case, lists both ways).
constexpr const char* kTraefikYml = R"yaml(api:
  dashboard: true
entryPoints:
  web:
    address: ":80"
    http:
      redirections:
        entryPoint:
          to: websecure
          scheme: https
          permanent: false
  websecure:
    address: "0.0.0.0:443"
    asDefault: true
    forwardedHeaders:
      trustedIPs: "10.0.0.0/8, 192.168.1.0/24"
    transport:
      respondingTimeouts:
        readTimeout: 10m
        idleTimeout: 0
      lifeCycle:
        graceTimeOut: 45s
    http:
      middlewares:
        - secure-headers@file
      tls:
        certResolver: cloudflare
        options: tls-opts@file
        domains:
          - main: example.com
            sans: ["*.example.com"]
    http2:
      maxConcurrentStreams: 250
  ipv6:
    address: "[::1]:8443"
    forwardedHeaders:
      insecure: true
providers:
  providersThrottleDuration: 2s
  docker:
    endpoint: "tcp://socket-proxy:2375"
    exposedByDefault: false
    network: t2_proxy
    defaultRule: "Host(`{{ .Name }}.example.com`)"
  file:
    directory: /rules
    watch: true
certificatesResolvers:
  le:
    acme:
      email: ops@example.com
      storage: /acme.json
      caServer: https://acme-staging-v02.api.letsencrypt.org/directory
      tlsChallenge: {}
  cloudflare:
    acme:
      email: ops@example.com
      dnsChallenge:
        provider: cloudflare
serversTransport:
  insecureSkipVerify: true
log:
  level: WARNING
accessLog:
  format: json
metrics:
  prometheus:
    buckets: [0.1, 0.3, 1.2, 5.0]
)yaml";

TEST(StaticConfig, ReadsWhatTraefikUsersWrite) {
  auto c = read_static_config(kTraefikYml, "traefik.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->entrypoints.size(), 3u);
  const auto& web = *c->entrypoint("web");
  EXPECT_EQ(web.host, "");
  EXPECT_EQ(web.port, 80);
  EXPECT_EQ(web.redirect.to, "websecure");
  EXPECT_EQ(web.redirect.scheme, "https");
  EXPECT_FALSE(web.redirect.permanent);
  EXPECT_FALSE(web.tls);
  const auto& secure = *c->entrypoint("websecure");
  EXPECT_EQ(secure.host, "0.0.0.0");
  EXPECT_EQ(secure.port, 443);
  ASSERT_TRUE(secure.trusted_ips);
  EXPECT_EQ(secure.trusted_ips->size(), 2u);
  EXPECT_EQ(secure.read_timeout_ms, 600'000u);
  EXPECT_EQ(secure.idle_timeout_ms, 0u);
  EXPECT_FALSE(secure.write_timeout_ms);
  EXPECT_EQ(secure.grace_timeout_ms, 45'000u);
  EXPECT_EQ(secure.middlewares, std::vector<std::string>{"secure-headers@file"});
  EXPECT_TRUE(secure.tls);
  EXPECT_EQ(secure.cert_resolver, "cloudflare");
  EXPECT_EQ(secure.tls_options, "tls-opts@file");
  EXPECT_EQ(secure.tls_domains,
            (std::vector<std::vector<std::string>>{{"example.com", "*.example.com"}}));
  EXPECT_EQ(secure.http2_max_streams, 250u);
  const auto& v6 = *c->entrypoint("ipv6");
  EXPECT_EQ(v6.host, "::1");
  ASSERT_TRUE(v6.trusted_ips);
  EXPECT_EQ(v6.trusted_ips->size(), 2u);  // insecure: every IPv4 and IPv6 peer
  EXPECT_EQ(c->default_entrypoints(), std::vector<std::string>{"websecure"});

  EXPECT_TRUE(c->docker.enabled);
  EXPECT_EQ(c->docker.endpoint, "tcp://socket-proxy:2375");
  EXPECT_FALSE(c->docker.exposed_by_default);
  EXPECT_EQ(c->docker.network, "t2_proxy");
  EXPECT_EQ(c->docker.default_rule, "Host(`{{ .Name }}.example.com`)");
  EXPECT_EQ(c->file_provider, "/rules");
  EXPECT_EQ(c->providers_throttle_ms, 2000u);
  // Both resolvers become flags, the DNS-01 one with its provider (its token comes from the
  // environment, as with Traefik).
  EXPECT_EQ(c->resolver_flags,
            (std::vector<std::pair<std::string, std::string>>{
                {"certificatesresolvers.le.acme.email", "ops@example.com"},
                {"certificatesresolvers.le.acme.caserver",
                 "https://acme-staging-v02.api.letsencrypt.org/directory"},
                {"certificatesresolvers.le.acme.storage", "/acme.json"},
                {"certificatesresolvers.le.acme.tlschallenge", "true"},
                {"certificatesresolvers.cloudflare.acme.email", "ops@example.com"},
                {"certificatesresolvers.cloudflare.acme.dnschallenge.provider", "cloudflare"}}));
  ASSERT_TRUE(c->servers_transport);
  EXPECT_TRUE(c->api);
  EXPECT_TRUE(c->api_dashboard);
  EXPECT_EQ(c->log_level, "warn");
  EXPECT_TRUE(c->access_log);
  EXPECT_TRUE(c->access_log_json);
  EXPECT_EQ(c->access_log_path, "");
  EXPECT_EQ(c->metrics_buckets, (std::vector<double>{0.1, 0.3, 1.2, 5.0}));
  EXPECT_TRUE(c->warnings.empty()) << c->warnings[0];
}

TEST(StaticConfig, TomlReadsTheSameAndWarnsWithTomlLines) {
  auto c = read_static_config(R"toml([global]
  checkNewVersion = false
[entryPoints]
  [entryPoints.http]
    address = ":80"
  [entryPoints.https]
    address = ":443"
    [entryPoints.https.http.tls]
      certResolver = "myresolver"
    [entryPoints.https.http3]
[providers.docker]
  watch = false
  swarmMode = false
[providers.kubernetesCRD]
[providers.kubernetesIngressNGINX]
)toml",
                              "traefik.toml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->entrypoints.size(), 2u);
  EXPECT_EQ(c->entrypoints[1].name, "https");
  EXPECT_TRUE(c->entrypoints[1].tls);
  EXPECT_EQ(c->entrypoints[1].cert_resolver, "myresolver");
  EXPECT_TRUE(c->docker.enabled);
  EXPECT_TRUE(c->docker.exposed_by_default);  // Traefik's default
  ASSERT_EQ(c->warnings.size(), 6u);
  EXPECT_EQ(c->warnings[0], "traefik.toml:1: global: ignored: Wharf does not call home");
  EXPECT_TRUE(c->warnings[1].starts_with("traefik.toml:10: entryPoints.https.http3: ignored"));
  EXPECT_EQ(c->warnings[2],
            "traefik.toml:12: providers.docker.watch: false ignored: Wharf always follows "
            "Docker's events");
  EXPECT_EQ(c->warnings[3],
            "traefik.toml:13: providers.docker.swarmMode: not a Traefik option Wharf knows; "
            "ignored");
  EXPECT_TRUE(c->warnings[4].starts_with(
      "traefik.toml:14: providers.kubernetesCRD: ignored: IngressRoute and the other Traefik "
      "CRDs are not supported"));
  EXPECT_EQ(c->warnings[5],
            "traefik.toml:15: providers.kubernetesIngressNGINX: ignored: the ingress-nginx class "
            "is served with the controller's --ingress-nginx flags (docs/migrating.md, From "
            "ingress-nginx)");
}

// An rfc2136 dnsChallenge carries over as flags; its credentials stay in the environment.
TEST(StaticConfig, AnRfc2136DnsChallengeBecomesFlags) {
  auto c = read_static_config(
      "certificatesResolvers:\n  home:\n    acme:\n      email: ops@example.com\n"
      "      storage: /acme/acme.json\n      dnsChallenge:\n        provider: rfc2136\n"
      "        resolvers: [\"10.0.0.53:53\", \"1.1.1.1:53\"]\n"
      "        propagation:\n          delayBeforeChecks: 10s\n          disableANSChecks: true\n",
      "t.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->warnings.empty()) << c->warnings[0];
  EXPECT_EQ(
      c->resolver_flags,
      (std::vector<std::pair<std::string, std::string>>{
          {"certificatesresolvers.home.acme.email", "ops@example.com"},
          {"certificatesresolvers.home.acme.storage", "/acme/acme.json"},
          {"certificatesresolvers.home.acme.dnschallenge.provider", "rfc2136"},
          {"certificatesresolvers.home.acme.dnschallenge.resolvers", "10.0.0.53:53,1.1.1.1:53"},
          {"certificatesresolvers.home.acme.dnschallenge.propagation.delaybeforechecks", "10s"},
          {"certificatesresolvers.home.acme.dnschallenge.propagation.disableanschecks", "true"}}));
}

TEST(StaticConfig, ValuesWharfCannotUseAreErrorsNamingTheLine) {
  auto bad = [](const std::string& yaml) {
    auto c = read_static_config(yaml, "t.yml");
    return c.ok() ? std::string("accepted") : c.error();
  };
  EXPECT_EQ(bad("entryPoints:\n  web:\n    address: \"80\"\n"),
            "t.yml:3: entryPoints.web.address '80': expected [HOST]:PORT, such as :443");
  EXPECT_EQ(bad("entryPoints:\n  web: {}\n"),
            "t.yml:2: entryPoints.web: the address is missing (such as :443)");
  // A redirection to an entry point that does not exist: Traefik logs it and leaves it out.
  auto missing = read_static_config(
      "entryPoints:\n  web:\n    address: :80\n    http:\n      redirections:\n"
      "        entryPoint:\n          to: secure\n",
      "t.yml");
  ASSERT_TRUE(missing.ok()) << missing.error();
  EXPECT_EQ(missing->entrypoints[0].redirect.to, "");
  EXPECT_EQ(missing->warnings,
            std::vector<std::string>{"t.yml:7: entryPoints.web.http.redirections.entryPoint.to: "
                                     "no entry point is named 'secure'; the redirection is left "
                                     "out"});
  EXPECT_EQ(bad("entryPoints:\n  web:\n    address: :80\n    forwardedHeaders:\n"
                "      trustedIPs: [10.0.0.0/33]\n"),
            "t.yml:5: entryPoints.web.forwardedHeaders.trustedIPs: " +
                model::parse_cidr_list("10.0.0.0/33").error());
  EXPECT_EQ(bad("log:\n  level: LOUD\n"),
            "t.yml:2: log.level: expected DEBUG, INFO, WARN or ERROR");
  EXPECT_EQ(bad("providers:\n  file:\n    filename: a.yml\n    directory: /d\n"),
            "t.yml:3: providers.file: filename and directory are exclusive, as in Traefik");
  EXPECT_EQ(bad("- a\n"), "t.yml: expected a mapping at the top");
  EXPECT_EQ(bad("entryPoints:\n  smtp:\n    address: :25\n    proxyProtocol:\n"
                "      trustedIPs: [10.0.0.300]\n"),
            "t.yml:5: entryPoints.smtp.proxyProtocol.trustedIPs: " +
                model::parse_cidr_list("10.0.0.300").error());
  EXPECT_EQ(bad("entryPoints:\n  smtp:\n    address: :25\n    proxyProtocol: {}\n"),
            "t.yml:4: entryPoints.smtp.proxyProtocol: trustedIPs or insecure is needed (which "
            "peers may send a PROXY header)");
}

TEST(StaticConfig, UdpEntryPointsAndTheProxyProtocol) {
  auto sc = read_static_config(
      "entryPoints:\n  dns:\n    address: :53/udp\n    udp:\n      timeout: 10s\n"
      "  web:\n    address: :80\n"
      "  imaps:\n    address: :993/tcp\n    proxyProtocol:\n"
      "      trustedIPs: [10.0.0.0/8, 127.0.0.1]\n"
      "  smtp:\n    address: :25\n    proxyProtocol: {insecure: true}\n    udp: {timeout: 1s}\n",
      "t.yml");
  ASSERT_TRUE(sc.ok()) << sc.error();
  ASSERT_EQ(sc->entrypoints.size(), 4u);
  const auto* dns = sc->entrypoint("dns");
  ASSERT_NE(dns, nullptr);
  EXPECT_TRUE(dns->udp);
  EXPECT_EQ(dns->port, 53);
  EXPECT_EQ(dns->udp_timeout_ms, 10'000u);
  EXPECT_FALSE(sc->entrypoint("web")->proxy_protocol_ips);
  const auto* imaps = sc->entrypoint("imaps");
  ASSERT_TRUE(imaps->proxy_protocol_ips);
  EXPECT_EQ(imaps->proxy_protocol_ips->size(), 2u);
  EXPECT_FALSE(imaps->udp);
  EXPECT_EQ(sc->entrypoint("smtp")->proxy_protocol_ips->size(), 2u);  // Every v4 and v6 peer.
  // Routers without entry points never land on a UDP one; a udp section elsewhere is a warning.
  EXPECT_EQ(sc->default_entrypoints(), (std::vector<std::string>{"web", "imaps", "smtp"}));
  ASSERT_EQ(sc->warnings.size(), 1u);
  EXPECT_EQ(sc->warnings[0],
            "t.yml:15: entryPoints.smtp.udp: the entry point is not a UDP one (address "
            ":PORT/udp); ignored");
}

TEST(StaticConfig, DurationsAsTraefikReadsThem) {
  using text::parse_duration_ms;
  EXPECT_EQ(parse_duration_ms("60"), 60'000u);
  EXPECT_EQ(parse_duration_ms("1.5"), 1'500u);
  EXPECT_EQ(parse_duration_ms("0"), 0u);
  EXPECT_EQ(parse_duration_ms("500ms"), 500u);
  EXPECT_EQ(parse_duration_ms("1m30s"), 90'000u);
  EXPECT_EQ(parse_duration_ms("2h"), 7'200'000u);
  EXPECT_EQ(parse_duration_ms("1.5s"), 1'500u);
  EXPECT_FALSE(parse_duration_ms(""));
  EXPECT_FALSE(parse_duration_ms("10x"));
  EXPECT_FALSE(parse_duration_ms("s"));
  EXPECT_FALSE(parse_duration_ms("-1s"));
}

}  // namespace
}  // namespace wharf::config
