// The docker compose examples in deploy/compose: parsed; every Wharf command line accepted by
// the real flag parsers; every labelled container translated by the real label translator and
// compiled with no object rejected.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "controller/app/options.hpp"
#include "controller/compiler/compiler.hpp"
#include "controller/docker/translator.hpp"
#include "dataplane/app/options.hpp"

namespace wharf::test {
namespace {

// Compose's ${VAR:-default} interpolation with every variable unset.
std::string interpolate(std::string s) {
  for (auto at = s.find("${"); at != std::string::npos; at = s.find("${", at)) {
    auto end = s.find('}', at);
    auto inner = s.substr(at + 2, end - at - 2);
    auto dash = inner.find(":-");
    s.replace(at, end - at + 1, dash == std::string::npos ? "" : inner.substr(dash + 2));
  }
  return s;
}

std::map<std::string, std::string> labels_of(const YAML::Node& service) {
  std::map<std::string, std::string> out;
  const auto& l = service["labels"];
  if (!l) return out;
  if (l.IsSequence()) {
    for (const auto& item : l) {
      auto s = interpolate(item.as<std::string>());
      auto eq = s.find('=');
      out[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
    }
  } else if (l.IsMap()) {
    for (const auto& kv : l)
      out[kv.first.as<std::string>()] = interpolate(kv.second.as<std::string>());
  }
  return out;
}

template <typename Parse>
void check_command(const YAML::Node& command, Parse parse, const std::string& where) {
  std::vector<std::string> args;
  for (const auto& a : command) args.push_back(interpolate(a.as<std::string>()));
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  char* envp[] = {nullptr};
  auto o = parse(static_cast<int>(argv.size()), argv.data(), envp);
  EXPECT_TRUE(o.ok()) << where << ": " << o.error();
}

class ComposeExamples : public ::testing::TestWithParam<std::string> {};

TEST_P(ComposeExamples, WharfFlagsParseAndEveryLabelTranslatesWithoutRejects) {
  const std::string path = std::string(WHARF_SOURCE_DIR) + "/deploy/compose/" + GetParam();
  auto doc = YAML::LoadFile(path);
  ASSERT_TRUE(doc["services"].IsMap()) << path;
  std::vector<controller::docker::Container> containers;
  bool has_controller = false, has_dataplane = false;
  int address = 2;
  for (const auto& kv : doc["services"]) {
    const std::string name = kv.first.as<std::string>();
    const auto& svc = kv.second;
    if (svc["command"] && svc["command"][0].as<std::string>() == "wharf-controller") {
      has_controller = true;
      // The controller's own validation, with no Docker socket or file needed to parse.
      check_command(
          svc["command"],
          [](int argc, const char* const* argv, char** envp) {
            return controller::parse_options(argc, argv, envp, "/nonexistent");
          },
          GetParam() + " " + name);
    }
    if (svc["command"] && svc["command"][0].as<std::string>() == "wharf-dataplane") {
      has_dataplane = true;
      check_command(svc["command"], dataplane::parse_options, GetParam() + " " + name);
      EXPECT_TRUE(svc["read_only"].as<bool>()) << name;
      EXPECT_FALSE(svc["volumes"].as<std::vector<std::string>>().empty());
      for (const auto& v : svc["volumes"]) {
        EXPECT_EQ(v.as<std::string>().find("docker.sock"), std::string::npos)
            << "the data plane never gets the Docker socket";
      }
    }
    auto labels = labels_of(svc);
    if (labels.empty()) continue;
    controller::docker::Container c;
    c.id = name;
    c.name = name;
    c.labels = labels;
    c.labels["com.docker.compose.project"] = "example";
    c.labels["com.docker.compose.service"] = name;
    c.state = controller::docker::Container::State::kRunning;
    c.network_mode = "example_default";
    c.networks = {{"example_default", "172.30.0." + std::to_string(address++)}};
    containers.push_back(c);
  }
  EXPECT_TRUE(has_controller && has_dataplane) << GetParam();
  ASSERT_FALSE(containers.empty());
  controller::docker::TranslatorOptions opt;
  opt.label_prefixes = {"wharf", "traefik"};
  auto config = controller::docker::translate(containers, opt);
  auto table = controller::compiler::compile({{"docker", config}});
  std::string rejected;
  for (const auto& d : table.diagnostics)
    rejected += d.kind + " " + d.name + ": " + d.message + "\n";
  EXPECT_TRUE(table.diagnostics.empty()) << rejected;
  EXPECT_FALSE(table.routers.empty());
  EXPECT_TRUE(model::validate(table).ok()) << model::validate(table).error();
}

INSTANTIATE_TEST_SUITE_P(Examples, ComposeExamples,
                         ::testing::Values("whoami.yml", "jellyfin.yml", "immich.yml",
                                           "socket-proxy.yml"),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           for (auto& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace wharf::test
