#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "controller/app/options.hpp"
#include "controller/docker/docker_provider.hpp"
#include "controller/kubernetes/cluster_config.hpp"
#include "test_common/dataplane_harness.hpp"

namespace wharf::controller {
namespace {

model::Result<Options> parse(std::vector<std::string> args, std::vector<std::string> env = {},
                             const std::string& docker_socket = "/nonexistent/docker.sock") {
  std::vector<const char*> argv{"wharf-controller"};
  for (auto& a : args) argv.push_back(a.c_str());
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  return parse_options(static_cast<int>(argv.size()), argv.data(), envp.data(), docker_socket);
}

// A kubeconfig whose context names namespace `ingress`.
void write_kubeconfig(const std::string& path) {
  std::ofstream(path) << R"(current-context: c
clusters: [{name: k, cluster: {server: "https://x"}}]
contexts: [{name: c, context: {cluster: k, user: u, namespace: ingress}}]
users: [{name: u, user: {token: t}}]
)";
}

TEST(ControllerOptions, TraefikCertificateResolverFlagsCarryOver) {
  auto o = parse(
      {"--file", "/etc/wharf/dynamic.yml", "--certificatesresolvers.le.acme.email=ops@example.com",
       "--certificatesResolvers.le.acme.storage=/letsencrypt/acme.json",
       "--certificatesresolvers.le.acme.httpchallenge.entrypoint=web",
       "--certificatesresolvers.alpn.acme.tlschallenge",
       "--certificatesresolvers.alpn.acme.caServer=https://ca.internal/dir"},
      {"WHARF_CERTIFICATESRESOLVERS_ENV_ACME_EMAIL=env@example.com",
       "WHARF_CERTIFICATESRESOLVERS_ENV_ACME_TLSCHALLENGE=true"});
  ASSERT_TRUE(o.ok()) << o.error();
  ASSERT_EQ(o->acme.size(), 3u);
  const auto& alpn = o->acme[0];
  EXPECT_EQ(alpn.name, "alpn");
  EXPECT_EQ(alpn.challenge, acme::ChallengeType::kTlsAlpn01);
  EXPECT_EQ(alpn.ca_server, "https://ca.internal/dir");
  EXPECT_EQ(alpn.storage, "/var/lib/wharf/acme");
  EXPECT_EQ(o->acme[1].name, "env");
  EXPECT_EQ(o->acme[1].email, "env@example.com");
  EXPECT_EQ(o->acme[1].challenge, acme::ChallengeType::kTlsAlpn01);
  const auto& le = o->acme[2];
  EXPECT_EQ(le.email, "ops@example.com");
  EXPECT_EQ(le.storage, "/letsencrypt");  // Traefik's acme.json path: its directory.
  EXPECT_EQ(le.challenge, acme::ChallengeType::kHttp01);
  EXPECT_EQ(le.ca_server, acme::kLetsEncrypt);

  // A DNS resolver that cannot work (an unknown provider, a missing credential) is reported,
  // naming what is missing, and obtains nothing; everything else starts.
  auto warning_of = [&](std::vector<std::string> args) {
    auto o = parse(std::move(args));
    EXPECT_TRUE(o.ok()) << o.error();
    return o.ok() && !o->warnings.empty() ? o->warnings.back() : std::string();
  };
  EXPECT_EQ(
      warning_of({"--file", "f", "--certificatesresolvers.le.acme.dnschallenge.provider=route53"}),
      "certificate resolver le: dnsChallenge provider 'route53' is not supported (rfc2136, "
      "cloudflare and httpreq are); it obtains no certificate (its routers get the other "
      "certificates or the default one)");
  EXPECT_EQ(
      warning_of(
          {"--file", "f", "--certificatesresolvers.le.acme.dnschallenge.provider=cloudflare"}),
      "certificate resolver le: dnsChallenge provider cloudflare: CF_DNS_API_TOKEN is not set (an "
      "API token with Zone:Read and DNS:Edit); it obtains no certificate (its routers get the "
      "other certificates or the default one)");
  EXPECT_EQ(
      warning_of({"--file", "f", "--certificatesresolvers.le.acme.dnschallenge.provider=rfc2136"}),
      "certificate resolver le: dnsChallenge provider rfc2136: RFC2136_NAMESERVER is not set "
      "(the server taking the updates); it obtains no certificate (its routers get the other "
      "certificates or the default one)");
  EXPECT_EQ(warning_of({"--file", "f",
                        "--certificatesresolvers.le.acme.dnschallenge.resolvers=1.1.1.1:53"})
                .rfind("certificate resolver le: dnsChallenge needs a provider", 0),
            0u);
  EXPECT_EQ(parse({"--file", "f", "--certificatesresolvers.le.acme.dnschallenge.provider=rfc2136",
                   "--certificatesresolvers.le.acme.tlschallenge=true"})
                .error(),
            "certificate resolver le: choose one of httpChallenge, tlsChallenge, dnsChallenge");
  auto dns =
      parse({"--file", "f", "--certificatesresolvers.le.acme.dnschallenge.provider=rfc2136",
             "--certificatesresolvers.le.acme.dnschallenge.resolvers=10.0.0.53:5353,9.9.9.9",
             "--certificatesresolvers.le.acme.dnschallenge.propagation.delaybeforechecks=30s",
             "--certificatesresolvers.le.acme.dnschallenge.propagation.disableanschecks=true"},
            {"RFC2136_NAMESERVER=10.0.0.53:5353", "RFC2136_TSIG_KEY=acme",
             "RFC2136_TSIG_SECRET=c2VjcmV0", "HOME=/root"});
  ASSERT_TRUE(dns.ok()) << dns.error();
  const auto& d = dns->acme[0];
  EXPECT_EQ(d.problem, "");
  EXPECT_EQ(d.challenge, acme::ChallengeType::kDns01);
  EXPECT_EQ(d.dns.provider, "rfc2136");
  ASSERT_EQ(d.dns.resolvers.size(), 2u);
  EXPECT_EQ(d.dns.resolvers[0].port, 5353);
  EXPECT_EQ(d.dns.resolvers[1].port, 53);
  EXPECT_EQ(d.dns.delay_before_check, std::chrono::seconds(30));
  EXPECT_TRUE(d.dns.disable_ans_checks);
  EXPECT_FALSE(d.dns.disable_checks);
  // Only the provider's variables are kept from the environment.
  EXPECT_EQ(d.dns.env.count("HOME"), 0u);
  EXPECT_EQ(d.dns.env.at("RFC2136_TSIG_KEY"), "acme");
  EXPECT_EQ(parse({"--file", "f", "--certificatesresolvers.le.acme.keytype=RSA4096"}).error(),
            "--certificatesresolvers.le.acme.keytype: only EC256 is supported (P-256 keys for "
            "account and certificates)");
  EXPECT_EQ(parse({"--file", "f", "--certificatesresolvers.le.email=x"}).error(),
            "--certificatesresolvers.le.email: expected --certificatesresolvers.NAME.acme.OPTION");
  EXPECT_EQ(parse({"--file", "f", "--certificatesresolvers.le.acme.tlschallenge=true",
                   "--certificatesresolvers.le.acme.httpchallenge=true"})
                .error(),
            "certificate resolver le: choose one of httpChallenge, tlsChallenge, dnsChallenge");
}

TEST(ControllerOptions, AcmeStorageInAKubernetesSecret) {
  test::TempDir dir;
  write_kubeconfig(dir.path() + "/config");
  auto o = parse({"--kubeconfig", dir.path() + "/config",
                  "--certificatesresolvers.le.acme.storage=secret:wharf-acme",
                  "--certificatesresolvers.zz.acme.storage=secret:ops/certs.v1"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->acme[0].secret_namespace, "ingress");  // The controller's own namespace.
  EXPECT_EQ(o->acme[0].secret_name, "wharf-acme");
  EXPECT_EQ(o->acme[1].secret_namespace, "ops");
  EXPECT_EQ(o->acme[1].secret_name, "certs.v1");
  EXPECT_EQ(
      parse({"--file", "f", "--certificatesresolvers.le.acme.storage=secret:wharf-acme"}).error(),
      "--certificatesresolvers.le.acme.storage=secret:wharf-acme: a Secret needs the "
      "Kubernetes API (--kubeconfig PATH, or run in a pod)");
  EXPECT_EQ(
      parse({"--file", "f", "--certificatesresolvers.le.acme.storage=secret:Wharf_ACME"}).error(),
      "--certificatesresolvers.le.acme.storage: expected secret:NAME or "
      "secret:NAMESPACE/NAME (lower-case letters, digits, '-' and '.')");
}

TEST(ControllerOptions, FlagsAndEnvironment) {
  auto o =
      parse({"--file", "/etc/wharf/dynamic.yml", "--docker-endpoint=tcp://10.0.0.2:2375",
             "--docker-label-prefixes", "wharf,traefik", "--docker-exposed-by-default"},
            {"WHARF_CONTROL_SOCKET=/tmp/c.sock", "WHARF_FILE=/ignored.yml", "WHARF_THROTTLE=250"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->file, "/etc/wharf/dynamic.yml");  // the command line wins
  EXPECT_EQ(o->control_socket, "/tmp/c.sock");
  EXPECT_EQ(o->docker_endpoint, "tcp://10.0.0.2:2375");
  EXPECT_EQ(o->docker.label_prefixes, (std::vector<std::string>{"wharf", "traefik"}));
  EXPECT_TRUE(o->docker.exposed_by_default);
  EXPECT_EQ(o->throttle.count(), 250);
}

TEST(ControllerOptions, EntrypointRedirects) {
  auto o = parse({"--file", "f", "--entrypoint-redirect", "web=websecure", "--entrypoint-redirect",
                  "alt=:8443"});
  ASSERT_TRUE(o) << o.error();
  ASSERT_EQ(o->entrypoints.size(), 2u);
  EXPECT_EQ(o->entrypoints[0].name, "web");
  EXPECT_EQ(o->entrypoints[0].redirect, (model::EntryPointRedirect{"websecure", "https", true}));
  EXPECT_EQ(o->entrypoints[1].redirect.to, ":8443");
  auto env = parse({"--file", "f"}, {"WHARF_ENTRYPOINT_REDIRECT=web=websecure"});
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->entrypoints.size(), 1u);
  EXPECT_EQ(parse({"--file", "f", "--entrypoint-redirect", "web"}).error(),
            "--entrypoint-redirect 'web': expected FROM=TO (TO a name or :PORT)");
}

TEST(ControllerOptions, BadFlagsAreOneLineReasons) {
  EXPECT_EQ(parse({"--bogus"}).error(), "unknown flag '--bogus' (see --help)");
  EXPECT_EQ(parse({"--file"}).error(), "flag --file needs a value");
  EXPECT_EQ(parse({"--file", "f", "--docker-endpoint", "ftp://x"}).error(),
            "docker endpoint 'ftp://x': expected unix:///path or tcp://host:port");
  EXPECT_EQ(parse({"--file", "f", "--throttle", "fast"}).error(),
            "--throttle 'fast': expected a number from 0 to 60000");
  EXPECT_NE(parse({"--file", "f", "--docker-default-rule", "Host(`{{ .Oops }}`)"})
                .error()
                .find("unsupported template action"),
            std::string::npos);
  EXPECT_EQ(
      parse({}).error(),
      "no provider enabled: give --file PATH, --docker-endpoint URL and/or --kubeconfig PATH");
}

TEST(ControllerOptions, DockerIsOnWhenTheDefaultSocketExistsUnlessTurnedOff) {
  test::TempDir dir;
  std::string path = dir.path() + "/docker.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto on = parse({}, {}, path);
  ASSERT_TRUE(on.ok()) << on.error();
  EXPECT_EQ(on->docker_endpoint, "unix://" + path);
  auto off = parse({"--docker-endpoint", "off", "--file", "f.yml"}, {}, path);
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(off->docker_endpoint.empty());
  ::close(fd);
}

TEST(ControllerOptions, DockerEventsOnlyRoutingRelevantEventsTriggerAResyncOfTheirContainer) {
  using docker::routing_event;
  EXPECT_EQ(routing_event(R"({"Type":"container","Action":"start","Actor":{"ID":"abc"}})"), "abc");
  EXPECT_EQ(routing_event(
                R"({"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"d"}})"),
            "d");
  EXPECT_EQ(
      routing_event(
          R"({"Type":"network","Action":"disconnect","Actor":{"ID":"n1","Attributes":{"container":"c9","name":"backend"}}})"),
      "c9");
  EXPECT_EQ(routing_event(R"({"Type":"container","Action":"die"})"), "");  // no id: resync all
  EXPECT_EQ(routing_event(R"({"Type":"container","Action":"exec_start: sh","Actor":{"ID":"x"}})"),
            std::nullopt);
  EXPECT_EQ(routing_event(R"({"Type":"network","Action":"create"})"), std::nullopt);
  EXPECT_EQ(routing_event(R"({"Type":"image","Action":"pull"})"), std::nullopt);
  EXPECT_EQ(routing_event("not json"), std::nullopt);
}

TEST(ControllerOptions, DockerApiVersionNegotiation) {
  EXPECT_EQ(*docker::negotiate_api_version("1.41"), "1.41");
  EXPECT_EQ(*docker::negotiate_api_version("1.45"), "1.45");
  EXPECT_EQ(*docker::negotiate_api_version("1.52"), "1.47");  // capped at what we know
  EXPECT_EQ(docker::negotiate_api_version("1.40").error(),
            "Docker API 1.40 is older than 1.41 (Docker 20.10), the oldest supported");
  EXPECT_FALSE(docker::negotiate_api_version("").ok());
}

TEST(ControllerOptions, DockerEndpointParses) {
  auto u = docker::parse_endpoint("unix:///var/run/docker.sock");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->is_unix);
  EXPECT_EQ(u->path, "/var/run/docker.sock");
  auto t = docker::parse_endpoint("tcp://[::1]:2375");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, "2375");
  EXPECT_FALSE(docker::parse_endpoint("unix://relative").ok());
}

TEST(ControllerOptions, KubeconfigCurrentContextTokenAndCertificates) {
  test::TempDir dir;
  std::ofstream(dir.path() + "/ca.crt") << "CA PEM";
  // "Q0VSVA==" and "S0VZ" are base64 for "CERT" and "KEY".
  std::ofstream(dir.path() + "/config") << R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: staging
  cluster: {server: https://staging:6443}
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: ca.crt
contexts:
- name: prod
  context: {cluster: prod, user: admin, namespace: shop}
users:
- name: admin
  user:
    token: abc
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
)";
  auto c = kubernetes::kubeconfig_config(dir.path() + "/config");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "CA PEM");  // relative to the kubeconfig's directory
  EXPECT_EQ(c->token, "abc");
  EXPECT_EQ(c->client_cert_pem, "CERT");
  EXPECT_EQ(c->client_key_pem, "KEY");
  EXPECT_EQ(c->default_namespace, "shop");

  std::ofstream(dir.path() + "/exec") << R"(current-context: c
clusters: [{name: k, cluster: {server: "https://x"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {exec: {command: aws}}}]
)";
  auto exec = kubernetes::kubeconfig_config(dir.path() + "/exec");
  ASSERT_FALSE(exec.ok());
  EXPECT_NE(exec.error().find("exec and auth-provider credentials are not supported"),
            std::string::npos);
  EXPECT_FALSE(kubernetes::kubeconfig_config(dir.path() + "/missing").ok());
  EXPECT_EQ(parse({"--kubeconfig", dir.path() + "/exec"}).error(), exec.error());
}

TEST(ControllerOptions, StatusAndLeaderElection) {
  test::TempDir dir;
  write_kubeconfig(dir.path() + "/config");
  const std::string kc = dir.path() + "/config";
  auto o =
      parse({"--kubeconfig", kc, "--publish-service", "ingress/wharf", "--ingress-class", "edge"},
            {"WHARF_LEADER_ELECT_RETRY_PERIOD=500ms"});
  ASSERT_TRUE(o.ok()) << o.error();
  const auto& e = o->kube_options.election;
  EXPECT_EQ(o->kube_options.status.publish_service, "ingress/wharf");
  EXPECT_EQ(e.lease_namespace, "ingress");  // the context's (in a pod: the pod's) namespace
  EXPECT_EQ(e.lease_name, "wharf-edge-leader");
  EXPECT_EQ(e.identity.find('_'), e.identity.size() - 9);  // host name + "_" + 8 hex digits
  EXPECT_EQ(e.lease_duration.count(), 15'000);
  EXPECT_EQ(e.renew_deadline.count(), 10'000);
  EXPECT_EQ(e.retry_period.count(), 500);
  auto a = parse({"--kubeconfig", kc, "--publish-address", "192.0.2.1, lb.example.com",
                  "--leader-elect-identity", "pod-1", "--leader-elect-lease-duration", "1m",
                  "--leader-elect-resource-namespace", "ops"});
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->kube_options.status.publish_addresses,
            (std::vector<std::string>{"192.0.2.1", "lb.example.com"}));
  EXPECT_EQ(a->kube_options.election.identity, "pod-1");
  EXPECT_EQ(a->kube_options.election.lease_namespace, "ops");
  EXPECT_EQ(a->kube_options.election.lease_duration.count(), 60'000);

  EXPECT_EQ(parse({"--kubeconfig", kc, "--publish-service", "wharf"}).error(),
            "--publish-service 'wharf': expected NAMESPACE/NAME");
  EXPECT_EQ(parse({"--kubeconfig", kc, "--leader-elect-renew-deadline", "10"}).error(),
            "--leader-elect-renew-deadline '10': expected a duration such as 15s, 500ms or 2m");
  EXPECT_EQ(parse({"--kubeconfig", kc, "--leader-elect-renew-deadline", "20s"}).error(),
            "--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration");
  EXPECT_NE(parse({"--kubeconfig", kc, "--leader-elect-retry-period", "9s"})
                .error()
                .find("--leader-elect-retry-period (plus 20% jitter) must be shorter"),
            std::string::npos);
}

// --configfile: the static configuration sets what flags would, a flag given as well wins.
TEST(ControllerOptions, StaticConfigurationFileAndFlagsTogether) {
  test::TempDir dir;
  const std::string file = dir.path() + "/traefik.yml";
  std::ofstream(dir.path() + "/ca.pem") << "not a certificate\n";
  std::ofstream(file)
      << "entryPoints:\n"
         "  http:\n    address: :80\n"
         "    http:\n      redirections:\n        entryPoint: {to: https}\n"
         "  https:\n    address: :443\n"
         "    transport:\n      respondingTimeouts: {readTimeout: 0, idleTimeout: 5m}\n"
         "providers:\n"
         "  providersThrottleDuration: 1s\n"
         "  docker:\n    network: proxy\n"
         "  file:\n    directory: /etc/rules\n"
         "certificatesResolvers:\n"
         "  le:\n    acme:\n      email: a@example.com\n      storage: "
      << dir.path()
      << "/acme.json\n      httpChallenge:\n        entryPoint: http\n"
         "serversTransport:\n  rootCAs: ["
      << dir.path() << "/ca.pem]\n";
  auto o = parse({"--configfile", file, "--throttle", "250"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->docker_endpoint, "unix:///var/run/docker.sock");
  EXPECT_EQ(o->docker.label_prefixes, (std::vector<std::string>{"wharf", "traefik"}));
  EXPECT_TRUE(o->docker.exposed_by_default);
  EXPECT_EQ(o->docker.network, "proxy");
  EXPECT_EQ(o->file, "/etc/rules");
  EXPECT_EQ(o->throttle, std::chrono::milliseconds(250));  // the flag wins over the file's 1s
  ASSERT_EQ(o->acme.size(), 1u);
  EXPECT_EQ(o->acme[0].email, "a@example.com");
  EXPECT_EQ(o->acme[0].storage, dir.path());
  ASSERT_EQ(o->entrypoints.size(), 2u);
  EXPECT_EQ(o->entrypoints[0].redirect.to, "https");
  EXPECT_EQ(o->entrypoints[1].timeouts.read_header_ms, 86'400'000u);  // 0: no limit
  EXPECT_EQ(o->entrypoints[1].timeouts.idle_ms, 300'000u);
  EXPECT_EQ(o->routing.entrypoints, (std::vector<std::string>{"http", "https"}));
  EXPECT_EQ(o->routing.default_entrypoints, (std::vector<std::string>{"http", "https"}));
  // The servers transport is read (and checked) as a dynamic file's would be.
  ASSERT_EQ(o->internal.transports.size(), 1u);
  EXPECT_EQ(o->internal.transports[0].name, "default");
  ASSERT_EQ(o->internal.transports[0].errors.size(), 1u);
  EXPECT_NE(o->internal.transports[0].errors[0].find("traefik.yml:25: serversTransport.rootCAs"),
            std::string::npos)
      << o->internal.transports[0].errors[0];

  // Internal services: only those the static file turns on (no api section: no api@internal).
  std::vector<std::string> internal;
  for (const auto& svc : o->internal.services) internal.push_back(svc.name);
  EXPECT_EQ(internal, std::vector<std::string>{"noop"});
  auto plain = parse({"--file", "/d.yml"});
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_EQ(plain->internal.services.size(), 5u);  // without a static file, all of them

  // Flags override, and a static file without providers.docker turns Docker off.
  std::ofstream(file) << "entryPoints:\n  web:\n    address: :80\n"
                         "providers:\n  file:\n    filename: /d.yml\n";
  auto flags =
      parse({"--configfile", file, "--file", "/other.yml", "--entrypoint-redirect", "web=:443"}, {},
            "/var/run/docker.sock");
  ASSERT_TRUE(flags.ok()) << flags.error();
  EXPECT_EQ(flags->file, "/other.yml");
  EXPECT_EQ(flags->docker_endpoint, "");
  ASSERT_EQ(flags->entrypoints.size(), 1u);
  EXPECT_EQ(flags->entrypoints[0].redirect.to, ":443");
}

}  // namespace
}  // namespace wharf::controller
