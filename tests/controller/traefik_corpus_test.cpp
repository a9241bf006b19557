// Real Traefik setups (fixtures/traefik-real: label sets from compose files and application docs,
// dynamic files, each citing its source; index.tsv lists them) read the way their owners run
// them: the label sets of one stack together, with the stack's dynamic file and its static
// configuration. The static configuration is summarised in each label set's `x-static` (entry
// points, the entry points with TLS, their resolver, wildcard domains, TLS options and
// middlewares, insecureSkipVerify, the default rule) and written out as a traefik.yml that goes
// through the same reader as a user's file. Every stack must compile with nothing rejected.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/static_config.hpp"
#include "controller/app/options.hpp"
#include "controller/app/static_options.hpp"
#include "controller/compiler/compiler.hpp"
#include "controller/compiler/entrypoint_models.hpp"
#include "controller/docker/translator.hpp"
#include "controller/file/file_provider.hpp"
#include "controller/file/file_translator.hpp"
#include "test_common/traefik_corpus.hpp"

namespace wharf::controller {
namespace {

namespace fs = std::filesystem;
using test::interpolate;
using test::static_file;
const std::string kDir = std::string(WHARF_FIXTURES_DIR) + "/traefik-real";

std::string read(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct Stack {
  std::string name;
  std::vector<std::string> companions;  // Dynamic files, loaded together as one directory.
  YAML::Node x_static;
  std::vector<std::string> files;
  std::vector<docker::Container> containers;
  std::map<std::string, std::string> env;
};

std::map<std::string, Stack> stacks() {
  std::map<std::string, Stack> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kDir + "/labels")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  int address = 2;
  for (const auto& path : files) {
    auto doc = YAML::LoadFile(path.string());
    const std::string name = path.stem().string();
    const std::string stack_name = doc["x-stack"] ? doc["x-stack"].as<std::string>() : name;
    auto& stack = out[stack_name];
    stack.name = stack_name;
    stack.files.push_back(name);
    if (doc["x-companion"] && stack.companions.empty()) {
      stack.companions.push_back(doc["x-companion"].as<std::string>());
    }
    if (doc["x-static"] && !stack.x_static) stack.x_static = doc["x-static"];
    std::map<std::string, std::string> env;
    if (doc["x-env"]) {
      for (const auto& kv : doc["x-env"])
        env[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
    stack.env.insert(env.begin(), env.end());
    // Authelia's guide runs its compose project as "net" (its file names heimdall-net@docker).
    const std::string project = doc["x-project"]                ? doc["x-project"].as<std::string>()
                                : stack_name == "authelia-docs" ? "net"
                                                                : stack_name;
    for (const auto& svc : doc["services"]) {
      docker::Container c;
      c.name = c.id = svc.first.as<std::string>() + "-" + name;
      const auto& labels = svc.second["labels"];
      if (labels.IsSequence()) {
        for (const auto& item : labels) {
          auto s = interpolate(item.as<std::string>(), env);
          auto eq = s.find('=');
          c.labels[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
        }
      } else if (labels.IsMap()) {
        for (const auto& kv : labels) {
          c.labels[kv.first.as<std::string>()] = interpolate(kv.second.as<std::string>(), env);
        }
      }
      c.labels["com.docker.compose.project"] = project;
      c.labels["com.docker.compose.service"] = svc.first.as<std::string>();
      c.state = docker::Container::State::kRunning;
      // On the compose project's network, and on the network the labels (or the static
      // configuration) send traffic through, as the owner's compose file attaches it.
      c.network_mode = project + "_default";
      auto ip = [&] {
        ++address;
        return "172.31." + std::to_string(address / 250) + "." + std::to_string(address % 250 + 2);
      };
      c.networks = {{project + "_default", ip()}};
      if (auto net = c.labels.find("traefik.docker.network"); net != c.labels.end()) {
        c.networks.emplace_back(net->second, ip());
      }
      if (doc["x-networks"]) {
        for (const auto& n : doc["x-networks"]) c.networks.emplace_back(n.as<std::string>(), ip());
      }
      if (stack.x_static && stack.x_static["network"]) {
        c.networks.emplace_back(stack.x_static["network"].as<std::string>(), ip());
      }
      if (svc.second["expose"]) {
        for (const auto& p : svc.second["expose"]) {
          c.exposed_tcp_ports.push_back(static_cast<std::uint16_t>(std::stoi(p.as<std::string>())));
        }
      }
      stack.containers.push_back(std::move(c));
    }
  }
  // Dynamic files that live beside a stack's labels (index.tsv lists them alone): Jellyfin's
  // TOML file provider, the Authelia guide's file, and the pi-hole router of the
  // anandslab rules directory.
  out["jellyfin-docs"].companions = {"jellyfin-docs-traefik-provider.toml"};
  out["authelia-docs"].companions = {"authelia-docs-traefik.yml"};
  out["anandslab"].companions.push_back("anandslab-app-pihole-oauth.raw.yml");
  return out;
}

// The files a setup's dynamic configuration names (certificates, keys, CAs, users files) exist
// on its owner's machine: here each is a valid one of its kind.
std::optional<std::string> owners_file(const std::string& path) {
  if (path.find("secret") != std::string::npos || path.find("user") != std::string::npos ||
      path.find("credentials") != std::string::npos || path.find("htpasswd") != std::string::npos) {
    return std::string("admin:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n");
  }
  const bool key =
      path.find("key") != std::string::npos || path.find("private") != std::string::npos;
  return read(std::string(WHARF_FIXTURES_DIR) + (key ? "/tls/web.key" : "/tls/web.crt"));
}

// What is refused on purpose, by stack or file: each rejected line must contain one of these,
// and each must be found. Everything else is accepted whole.
const std::map<std::string, std::vector<std::string>>& expected_rejections() {
  static const std::map<std::string, std::vector<std::string>> kExpected = {
      // `Headers(...)` is Traefik v2's matcher: Traefik v3 refuses that router too.
      {"anandslab-rules-hs-apps.yml",
       {"router tautulli-rtr-bypass@file: anandslab-rules-hs-apps.yml:163: "
        "http.routers.tautulli-rtr-bypass.rule: column 37: unknown matcher 'Headers'"}},
      // A Traefik plugin (CrowdSec's bouncer): never run, so its routers are not served.
      {"crowdsec-example",
       {"middleware type 'plugin' is not implemented",
        "uses middleware crowdsec@docker, which was rejected"}},
      // The guides' own mistakes, which Traefik refuses as well: Authelia's page names a
      // middleware it defines nowhere; mailcow's names a service `mailcow-svc` and defines
      // `mailcow`.
      // Its dynamic file also routes to a whoami container its compose file does not show.
      {"authelia-docs",
       {"router heimdall@docker: uses middleware authelia-basic@docker, which "
        "does not exist",
        "router whoami@file: uses service whoami-net@docker, which does not "
        "exist"}},
      {"mailcow-docs-dynamic.yml", {"uses service mailcow-svc@file, which does not exist"}},
      // LinkStack's page names a service it never defines; Traefik refuses that router too.
      {"linkstack",
       {"router name-ui@docker: uses service yrtree-ui@docker, which does not "
        "exist"}},
      // Two routers without a service label on a container with two services: Traefik
      // cannot tell which is whose either.
      {"roddutra",
       {"router deluge@docker: router deluge has no service label",
        "router transmission@docker: router transmission has no service label"}},
  };
  return kExpected;
}

// Each rejected line is expected, and each expectation met.
void expect_rejections(const std::string& what, const std::string& rejected) {
  auto expected = expected_rejections().find(what);
  if (expected == expected_rejections().end()) {
    EXPECT_EQ(rejected, "") << what;
    return;
  }
  std::istringstream lines(rejected);
  std::string line;
  std::set<std::string> met;
  while (std::getline(lines, line)) {
    bool known = false;
    for (const auto& want : expected->second) {
      if (line.find(want) != std::string::npos) known = true, met.insert(want);
    }
    EXPECT_TRUE(known) << what << ": not expected: " << line;
  }
  EXPECT_EQ(met.size(), expected->second.size()) << what << ":\n" << rejected;
}

std::string rejected_of(const model::RoutingTable& t) {
  std::string out;
  for (const auto& d : t.diagnostics) {
    if (!d.warning) out += "  " + d.kind + " " + d.name + ": " + d.message + "\n";
  }
  return out;
}

// A stack's labels (with its static configuration and companion files) compiled as the
// controller compiles them.
model::RoutingTable compile_stack(const std::string& name, const Stack& stack) {
  for (const auto& [k, v] : stack.env) ::setenv(k.c_str(), v.c_str(), 1);
  Options o;
  std::optional<config::StaticConfig> sc;
  if (stack.x_static) {
    auto read_back = config::read_static_config(static_file(stack.x_static), "traefik.yml");
    EXPECT_TRUE(read_back.ok()) << name << ": " << read_back.error();
    if (!read_back.ok()) return {};
    sc = std::move(*read_back);
    cli::Flags flags;
    EXPECT_TRUE(apply_static(*sc, flags, o).ok()) << name;
  } else {
    o.docker.label_prefixes = {"wharf", "traefik"};
    o.docker.exposed_by_default = true;
  }
  add_internal_services(sc ? &*sc : nullptr, o);
  compiler::ProviderConfigs configs;
  configs["docker"] = docker::translate(stack.containers, o.docker);
  configs["internal"] = o.internal;
  for (const auto& companion : stack.companions) {
    auto file = file::translate(read(kDir + "/dynamic/" + companion), companion, owners_file);
    EXPECT_TRUE(file.ok()) << name << ": " << file.error();
    if (!file.ok()) continue;
    file::merge(configs["file"], std::move(*file));
  }
  compiler::apply_entrypoints(configs, o.routing);
  return compiler::compile(configs);
}

TEST(TraefikCorpus, EveryStackCompilesWithNothingRejected) {
  const auto all = stacks();
  ASSERT_GE(all.size(), 29u);
  std::size_t label_sets = 0, routers = 0;
  for (const auto& [name, stack] : all) {
    label_sets += stack.files.size();
    auto table = compile_stack(name, stack);
    expect_rejections(name, rejected_of(table));
    if (name != "crowdsec-example" && name != "linkstack") {
      EXPECT_FALSE(table.routers.empty()) << "stack " << name;
    }
    routers += table.routers.size();
    EXPECT_TRUE(model::validate(table).ok()) << name << ": " << model::validate(table).error();
  }
  EXPECT_GE(label_sets, 65u);
  RecordProperty("label_sets", static_cast<int>(label_sets));
  RecordProperty("routers", static_cast<int>(routers));
}

// The corpus's TCP and UDP labels and sections come through whole: Mailu's mail ports with
// the PROXY protocol and HTTPS passed through by SNI, Gitea's SSH, Headscale's UDP services.
TEST(TraefikCorpus, TcpAndUdpLabelsAreRouted) {
  const auto all = stacks();
  auto find = [](const auto& items, const std::string& name) {
    auto it = std::find_if(items.begin(), items.end(), [&](auto& i) { return i.name == name; });
    return it == items.end() ? nullptr : &*it;
  };
  const auto mailu = compile_stack("mailu-docs", all.at("mailu-docs"));
  EXPECT_EQ(mailu.tcp_routers.size(), 6u);
  const auto* https = find(mailu.tcp_routers, "websecure@docker");
  ASSERT_NE(https, nullptr);
  EXPECT_EQ(https->tls, "passthrough");
  EXPECT_EQ(https->entrypoints, std::vector<std::string>{"websecure"});
  EXPECT_EQ(https->service, "websecure@docker");
  const auto* imaps = find(mailu.tcp_services, "imaps@docker");
  ASSERT_NE(imaps, nullptr);
  EXPECT_EQ(imaps->proxy_protocol, 2u);
  ASSERT_EQ(imaps->servers.size(), 1u);
  EXPECT_TRUE(imaps->servers[0].address.ends_with(":993")) << imaps->servers[0].address;
  // Mailu's front also serves HTTP through its own labels: those routers are still there.
  EXPECT_FALSE(mailu.routers.empty());

  const auto gitea = compile_stack("enigmacurry-gitea", all.at("enigmacurry-gitea"));
  const auto* ssh = find(gitea.tcp_routers, "gitea-ssh@docker");
  ASSERT_NE(ssh, nullptr);
  EXPECT_EQ(ssh->rule, "HostSNI(`*`)");
  EXPECT_EQ(ssh->tls, "");
  const auto* ssh_service = find(gitea.tcp_services, "gitea-ssh@docker");
  ASSERT_NE(ssh_service, nullptr);
  ASSERT_EQ(ssh_service->servers.size(), 1u);
  EXPECT_TRUE(ssh_service->servers[0].address.ends_with(":22"));

  // Headscale defines UDP services and no UDP router: Traefik keeps them unused, so does Wharf.
  const auto headscale = compile_stack("jims-headscale2", all.at("jims-headscale2"));
  EXPECT_EQ(headscale.udp_services.size(), 2u);
  EXPECT_TRUE(headscale.udp_routers.empty());

  auto file = file::translate(read(kDir + "/dynamic/pojntfx-services.yaml"),
                              "pojntfx-services.yaml", owners_file);
  ASSERT_TRUE(file.ok()) << file.error();
  const auto table = compiler::compile({{"file", *file}});
  const auto* dns = find(table.udp_routers, "dns@file");
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->entrypoints, std::vector<std::string>{"dnsUDP"});
  const auto* ldap = find(table.tcp_routers, "ldap@file");
  ASSERT_NE(ldap, nullptr);
  EXPECT_EQ(ldap->tls, "terminate");
  const auto* tcp_dns = find(table.tcp_services, "dns@file");
  ASSERT_NE(tcp_dns, nullptr);
  EXPECT_EQ(tcp_dns->servers[0].address, "localhost:54");
}

// The dynamic files no stack names, alone (with the internal services), as a file provider
// reads them.
TEST(TraefikCorpus, EveryOtherDynamicFileCompilesWithNothingRejected) {
  std::set<std::string> in_stacks;
  for (const auto& [name, stack] : stacks())
    in_stacks.insert(stack.companions.begin(), stack.companions.end());
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(kDir + "/dynamic")) {
    const std::string file = e.path().filename().string();
    if (in_stacks.count(file)) continue;
    ++n;
    auto config = file::translate(read(e.path().string()), file, owners_file);
    ASSERT_TRUE(config.ok()) << file << ": " << config.error();
    Options o;
    add_internal_services(nullptr, o);
    auto table = compiler::compile({{"file", *config}, {"internal", o.internal}});
    expect_rejections(file, rejected_of(table));
  }
  EXPECT_GE(n, 8u);
}

}  // namespace
}  // namespace wharf::controller
