// TCP and UDP routes from Docker labels and the file, through the decoders both share, and the
// compiler's checks on them.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "controller/compiler/compiler.hpp"
#include "controller/compiler/entrypoint_models.hpp"
#include "controller/docker/container.hpp"
#include "controller/docker/translator.hpp"
#include "controller/file/file_translator.hpp"

namespace wharf::controller {
namespace {

// The captured host-network container of fixtures/docker/host_network.json with `labels`
// instead of its own (reached on 127.0.0.1).
model::ProviderConfig from_labels(const std::map<std::string, std::string>& labels,
                                  bool running = true) {
  std::ifstream in(std::string(WHARF_FIXTURES_DIR) + "/docker/host_network.json");
  std::ostringstream s;
  s << in.rdbuf();
  auto containers = docker::parse_inspect_array(s.str());
  EXPECT_TRUE(containers.ok());
  if (!containers.ok()) return {};
  auto& c = (*containers)[0];
  c.labels = {{"wharf.enable", "true"}};
  for (const auto& [k, v] : labels) c.labels["wharf." + k] = v;
  if (!running) c.state = docker::Container::State::kStopped;
  return docker::translate(*containers, {});
}

model::ProviderConfig from_file(const std::string& yaml) {
  auto c = file::translate(yaml, "dyn.yml");
  EXPECT_TRUE(c.ok()) << c.error();
  return c.ok() ? *c : model::ProviderConfig{};
}

template <typename Items>
auto* find(Items& items, const std::string& name) {
  for (auto& i : items) {
    if (i.name == name) return &i;
  }
  ADD_FAILURE() << "no " << name;
  return static_cast<decltype(&items[0])>(nullptr);
}

std::string all_errors(const model::ProviderConfig& c) {
  std::string out;
  for (const auto& r : c.tcp_routers) {
    for (const auto& e : r.errors) out += e + "\n";
  }
  for (const auto& s : c.tcp_services) {
    for (const auto& e : s.errors) out += e + "\n";
  }
  for (const auto& r : c.udp_routers) {
    for (const auto& e : r.errors) out += e + "\n";
  }
  for (const auto& d : c.diagnostics) out += d.message + "\n";
  return out;
}

TEST(StreamProviders, LabelsAndFileMeanTheSame) {
  auto labels = from_labels({{"tcp.routers.imaps.rule", "HostSNI(`mail.example`)"},
                             {"tcp.routers.imaps.entrypoints", "imaps"},
                             {"tcp.routers.imaps.priority", "7"},
                             {"tcp.routers.imaps.tls.passthrough", "true"},
                             {"tcp.routers.imaps.service", "dovecot"},
                             {"tcp.services.dovecot.loadbalancer.server.port", "993"},
                             {"tcp.services.dovecot.loadbalancer.proxyprotocol.version", "2"},
                             {"udp.routers.dns.entrypoints", "dns"},
                             {"udp.services.dns.loadbalancer.server.port", "53"}});
  auto file = from_file(
      "tcp:\n  routers:\n    imaps:\n      rule: HostSNI(`mail.example`)\n"
      "      entryPoints: [imaps]\n      priority: 7\n      tls: {passthrough: true}\n"
      "      service: dovecot\n"
      "  services:\n    dovecot:\n      loadBalancer:\n        servers: [{address: "
      "127.0.0.1:993}]\n"
      "        proxyProtocol: {version: 2}\n"
      "udp:\n  routers:\n    dns:\n      entryPoints: [dns]\n      service: dns\n"
      "  services:\n    dns:\n      loadBalancer:\n        servers: [{address: 127.0.0.1:53}]\n");
  EXPECT_EQ(all_errors(labels), "");
  EXPECT_EQ(all_errors(file), "");
  // No HTTP router for a container that only has TCP and UDP labels.
  EXPECT_TRUE(labels.routers.empty());
  EXPECT_TRUE(labels.services.empty());
  for (const auto* c : {&labels, &file}) {
    const auto* r = find(c->tcp_routers, "imaps");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->rule, "HostSNI(`mail.example`)");
    EXPECT_EQ(r->entrypoints, std::vector<std::string>{"imaps"});
    EXPECT_EQ(r->priority, 7);
    EXPECT_TRUE(r->tls);
    EXPECT_TRUE(r->passthrough);
    const auto* s = find(c->tcp_services, "dovecot");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->proxy_protocol, 2u);
    EXPECT_EQ(s->servers, (std::vector<model::StreamServer>{{"127.0.0.1:993", 1}}));
    const auto* u = find(c->udp_routers, "dns");
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->service, "dns");
    EXPECT_EQ(find(c->udp_services, "dns")->servers,
              (std::vector<model::StreamServer>{{"127.0.0.1:53", 1}}));
  }
}

TEST(StreamProviders, TheSameMistakesTheSameErrors) {
  struct Case {
    std::map<std::string, std::string> labels;
    std::string yaml, error;
  };
  const std::string lb =
      "  services:\n    s:\n      loadBalancer:\n        servers: "
      "[{address: 127.0.0.1:1}]\n";
  const std::vector<Case> cases = {
      {{{"tcp.routers.r.rule", "Host(`a`)"}},
       "tcp:\n  routers:\n    r: {rule: Host(`a`), service: s}\n" + lb,
       "unknown matcher 'Host'"},
      {{{"tcp.routers.r.rule", "HostSNI(`*`)"}, {"tcp.routers.r.tls.passthrough", "maybe"}},
       "tcp:\n  routers:\n    r: {rule: HostSNI(`*`), service: s, tls: {passthrough: maybe}}\n" +
           lb,
       "expected true or false"},
      {{{"tcp.routers.r.rule", "HostSNI(`*`)"}, {"tcp.routers.r.observability.metrics", "true"}},
       "tcp:\n  routers:\n    r: {rule: HostSNI(`*`), service: s, observability: {metrics: "
       "true}}\n" +
           lb,
       "unknown"},
      {{{"tcp.routers.r.rule", "HostSNI(`*`)"},
        {"tcp.services.s.loadbalancer.proxyprotocol.version", "3"}},
       "tcp:\n  routers:\n    r: {rule: HostSNI(`*`), service: s}\n" + lb +
           "        proxyProtocol: {version: 3}\n",
       "expected 1 or 2"},
      {{{"tcp.routers.r.rule", "HostSNI(`*`)"}, {"tcp.services.s.loadbalancer.server.tls", "true"}},
       "tcp:\n  routers:\n    r: {rule: HostSNI(`*`), service: s}\n  services:\n    s:\n"
       "      loadBalancer:\n        servers: [{address: 127.0.0.1:1, tls: true}]\n",
       "TLS towards TCP servers is not supported"},
  };
  for (const auto& c : cases) {
    auto labels = all_errors(from_labels(c.labels));
    auto file = all_errors(from_file(c.yaml));
    EXPECT_NE(labels.find(c.error), std::string::npos) << c.error << "\n" << labels;
    EXPECT_NE(file.find(c.error), std::string::npos) << c.error << "\n" << file;
    EXPECT_NE(labels.find("label wharf.tcp."), std::string::npos) << labels;
    EXPECT_EQ(file.rfind("dyn.yml:", 0), 0u) << file;
  }
}

TEST(StreamProviders, DockerDefaultsAsTraefiksProvider) {
  // A TCP router needs a rule: there is no default one.
  auto c = from_labels({{"tcp.routers.ssh.entrypoints", "ssh"},
                        {"tcp.services.ssh.loadbalancer.server.port", "22"}});
  ASSERT_EQ(c.tcp_routers.size(), 1u);
  EXPECT_EQ(c.tcp_routers[0].service, "ssh");
  ASSERT_EQ(c.tcp_routers[0].errors.size(), 1u);
  EXPECT_EQ(c.tcp_routers[0].errors[0],
            "router ssh has no rule (TCP routers have no default one); set "
            "wharf.tcp.routers.ssh.rule, such as HostSNI(`*`)");

  // Two services: the router must say which.
  c = from_labels({{"tcp.routers.r.rule", "HostSNI(`*`)"},
                   {"tcp.services.a.loadbalancer.server.port", "1"},
                   {"tcp.services.b.loadbalancer.server.port", "2"}});
  ASSERT_EQ(c.tcp_routers[0].errors.size(), 1u);
  EXPECT_NE(c.tcp_routers[0].errors[0].find("several services (a, b); set "
                                            "wharf.tcp.routers.r.service"),
            std::string::npos);

  // A port that is not one, and a stopped container (its service stays, without servers).
  c = from_labels(
      {{"tcp.routers.r.rule", "HostSNI(`*`)"}, {"tcp.services.s.loadbalancer.server.port", "0"}});
  ASSERT_EQ(c.tcp_services[0].errors.size(), 1u);
  EXPECT_NE(c.tcp_services[0].errors[0].find("expected a port number"), std::string::npos);
  c = from_labels(
      {{"tcp.routers.r.rule", "HostSNI(`*`)"}, {"tcp.services.s.loadbalancer.server.port", "5432"}},
      false);
  EXPECT_TRUE(c.tcp_services[0].servers.empty());
  EXPECT_TRUE(c.tcp_services[0].errors.empty());

  // TCP middlewares and unknown options are reported, not ignored silently.
  c = from_labels({{"tcp.routers.r.rule", "HostSNI(`*`)"},
                   {"tcp.routers.r.colour", "red"},
                   {"tcp.middlewares.ip.ipallowlist.sourcerange", "10.0.0.0/8"},
                   {"tcp.services.s.loadbalancer.server.port", "1"}});
  EXPECT_NE(all_errors(c).find("unknown tcp router option 'colour'"), std::string::npos);
  EXPECT_NE(all_errors(c).find("TCP middlewares are not supported"), std::string::npos);
}

TEST(StreamProviders, TheCompilerChecksAndFlattens) {
  auto file = from_file(
      "tcp:\n  routers:\n"
      "    plain-sni:\n      rule: HostSNI(`a.example`)\n      service: a\n"
      "    alpn:\n      rule: ALPN(`h2`)\n      service: a\n"
      "    guarded:\n      rule: HostSNI(`*`)\n      service: a\n      middlewares: [ip]\n"
      "    gone:\n      rule: HostSNI(`*`)\n      service: nowhere\n"
      "    options:\n      rule: HostSNI(`b.example`)\n      service: a\n"
      "      tls: {options: missing}\n"
      "    split:\n      rule: HostSNI(`*`)\n      service: both\n      entryPoints: [db]\n"
      "    via-transport:\n      rule: HostSNI(`*`)\n      service: proxied\n"
      "  services:\n"
      "    a:\n      loadBalancer:\n        servers: [{address: 10.0.0.1:1}, {address: "
      "10.0.0.2:1}]\n"
      "    b:\n      loadBalancer:\n        servers: [{address: 10.0.0.3:1}]\n"
      "    both:\n      weighted:\n        services: [{name: a, weight: 3}, {name: b, weight: 1}]\n"
      "    proxied:\n      loadBalancer:\n        servers: [{address: 10.0.0.4:1}]\n"
      "        serversTransport: pp\n"
      "  serversTransports:\n    pp:\n      proxyProtocol: {version: 1}\n      dialTimeout: 5s\n"
      "udp:\n  routers:\n    dns:\n      service: missing\n");
  auto table = compiler::compile({{"file", file}});
  std::map<std::string, std::string> why;
  for (const auto& d : table.diagnostics) why[d.kind + " " + d.name] = d.message;
  EXPECT_EQ(why["tcp router plain-sni@file"],
            "rule: HostSNI(`a.example`) reads the TLS ClientHello, so the router needs tls (set "
            "tls.passthrough=true to pass TLS on, or tls=true to terminate it)");
  EXPECT_NE(why["tcp router alpn@file"].find("rule: ALPN reads the TLS ClientHello"),
            std::string::npos);
  EXPECT_EQ(why["tcp router guarded@file"],
            "uses TCP middlewares (ip), which Wharf does not support; the router is not served "
            "without them");
  EXPECT_EQ(why["tcp router gone@file"], "uses service nowhere@file, which does not exist");
  EXPECT_EQ(why["tcp router options@file"], "uses TLS options missing@file, which do not exist");
  EXPECT_EQ(why["udp router dns@file"], "uses service missing@file, which does not exist");

  ASSERT_EQ(table.tcp_routers.size(), 2u);
  const auto* both = find(table.tcp_services, "both@file");
  ASSERT_NE(both, nullptr);
  // a: weight 3 over two servers, b: weight 1 over one: 3:3:2 in whole numbers.
  EXPECT_EQ(both->servers, (std::vector<model::StreamServer>{
                               {"10.0.0.1:1", 3}, {"10.0.0.2:1", 3}, {"10.0.0.3:1", 2}}));
  const auto* proxied = find(table.tcp_services, "proxied@file");
  ASSERT_NE(proxied, nullptr);
  EXPECT_EQ(proxied->proxy_protocol, 1u);
  EXPECT_EQ(proxied->connect_ms, 5000u);
  EXPECT_TRUE(model::validate(table).ok()) << model::validate(table).error();
}

TEST(StreamProviders, EntryPointsOfTheStaticConfiguration) {
  auto file = from_file(
      "tcp:\n  routers:\n    any:\n      rule: HostSNI(`*`)\n      service: s\n"
      "    typo:\n      rule: HostSNI(`*`)\n      service: s\n      entryPoints: [sssh]\n"
      "  services:\n    s:\n      loadBalancer:\n        servers: [{address: 10.0.0.1:22}]\n"
      "udp:\n  routers:\n    dns:\n      service: u\n"
      "  services:\n    u:\n      loadBalancer:\n        servers: [{address: 10.0.0.1:53}]\n");
  compiler::ProviderConfigs configs{{"file", file}};
  compiler::StaticRouting routing;
  routing.entrypoints = {"web", "websecure", "ssh"};
  routing.default_entrypoints = {"web", "websecure"};
  routing.udp_entrypoints = {"dns", "wg"};
  compiler::apply_entrypoints(configs, routing);
  auto table = compiler::compile(configs);
  ASSERT_EQ(table.tcp_routers.size(), 1u);
  EXPECT_EQ(table.tcp_routers[0].entrypoints, (std::vector<std::string>{"web", "websecure"}));
  ASSERT_EQ(table.udp_routers.size(), 1u);
  EXPECT_EQ(table.udp_routers[0].entrypoints, (std::vector<std::string>{"dns", "wg"}));
  std::string why;
  for (const auto& d : table.diagnostics) why += d.name + ": " + d.message + "\n";
  EXPECT_NE(why.find("typo@file: none of its entry points exists (the static configuration has "
                     "web, websecure, ssh)"),
            std::string::npos)
      << why;
}

}  // namespace
}  // namespace wharf::controller
