// A dozen of the real Traefik setups in tests/controller/fixtures/traefik-real run end to end:
// their containers started by a real dockerd with their labels (unchanged but for the server
// port, which becomes the test's busybox server on 127.0.0.1 with host networking), the data
// plane and the controller given the stack's static configuration, and every router of the
// compiled table asked on its entry point (HTTPS when it has TLS) for its host and path. Each
// must answer as Traefik would: a redirect to https with the same host and path, 401 with a
// Basic challenge when basic auth comes first, 418 from noop@internal, else the server's answer.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "test_common/child_process.hpp"
#include "test_common/clients.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"
#include "test_common/traefik_corpus.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kDir = std::string(WHARF_SOURCE_DIR) + "/tests/controller/fixtures/traefik-real";

// The stack's static configuration summary: this file's, or that of another file of its stack.
YAML::Node stack_static(const std::string& stack) {
  for (const auto& e : fs::directory_iterator(kDir + "/labels")) {
    auto doc = YAML::LoadFile(e.path().string());
    if (doc["x-stack"] && doc["x-stack"].as<std::string>() == stack && doc["x-static"]) {
      return doc["x-static"];
    }
  }
  return {};
}

struct Router {
  std::string name, rule, service, entrypoint;
  bool tls = false;
  std::vector<std::string> middlewares;
};

// The routers and middleware types `wharf-controller --check` prints.
void parse_check(const std::string& out, std::vector<Router>& routers,
                 std::map<std::string, std::string>& types) {
  std::istringstream lines(out);
  std::string line, section;
  while (std::getline(lines, line)) {
    if (!line.starts_with("  ")) {
      section = line.substr(0, line.find(' '));
      continue;
    }
    std::istringstream words(line);
    if (section == "middlewares") {
      std::string name, type;
      words >> name >> type;
      types[name] = type;
    } else if (section == "routers") {
      Router r;
      auto arrow = line.find("  -> ");
      std::istringstream head(line.substr(0, arrow));
      head >> r.name;
      std::getline(head >> std::ws, r.rule);
      std::istringstream tail(line.substr(arrow + 5));
      tail >> r.service;
      for (std::string w; tail >> w;) {
        if (w.starts_with("entrypoints=")) r.entrypoint = w.substr(12, w.find(',') - 12);
        if (w == "tls") r.tls = true;
        if (w.starts_with("middlewares=")) {
          std::istringstream list(w.substr(12));
          for (std::string m; std::getline(list, m, ',');) r.middlewares.push_back(m);
        }
      }
      routers.push_back(std::move(r));
    }
  }
}

class TraefikCorpusEndToEnd : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (auto why = Dockerd::unavailable_reason(); !why.empty()) {
      if (std::getenv("WHARF_REQUIRE_DOCKER")) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }
};

TEST_P(TraefikCorpusEndToEnd, EveryRouterAnswersAsInTraefik) {
  const std::string name = GetParam();
  auto doc = YAML::LoadFile(kDir + "/labels/" + name + ".yml");
  std::map<std::string, std::string> env;
  if (doc["x-env"]) {
    for (const auto& kv : doc["x-env"])
      env[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  const YAML::Node x_static = stack_static(doc["x-stack"].as<std::string>());
  ASSERT_TRUE(x_static) << name;

  Dockerd d;
  TempDir dir;
  const std::regex port_label(R"(^(.*\.loadbalancer\.server\.port)$)", std::regex::icase);
  for (const auto& svc : doc["services"]) {
    const auto port = free_port();
    std::vector<std::string> labels;
    auto add = [&](std::string key, std::string value) {
      key = interpolate(key, env);
      value = interpolate(value, env);
      if (std::regex_match(key, port_label)) value = std::to_string(port);
      labels.push_back(key + "=" + value);
    };
    const auto& l = svc.second["labels"];
    if (l.IsSequence()) {
      for (const auto& item : l) {
        auto s = item.as<std::string>();
        auto eq = s.find('=');
        add(s.substr(0, eq), eq == std::string::npos ? "" : s.substr(eq + 1));
      }
    } else {
      for (const auto& kv : l) add(kv.first.as<std::string>(), kv.second.as<std::string>());
    }
    d.run_httpd(svc.first.as<std::string>(), port, labels);
  }

  std::map<std::string, std::string> addresses;
  for (const auto& e : x_static["entrypoints"]) addresses[e.as<std::string>()] = "127.0.0.1:0";
  const std::string config = dir.path() + "/traefik.yml";
  std::ofstream(config) << static_file(x_static, addresses, d.endpoint());
  const std::string socket = dir.path() + "/control.sock";
  ChildProcess dp({WHARF_DATAPLANE_BINARY, "--configfile", config, "--control-socket", socket,
                   "--admin-address", "127.0.0.1:0"});
  ASSERT_NE(dp.wait_for_log(" ready\n", 20s), std::string::npos) << dp.log();
  std::map<std::string, std::uint16_t> ports;
  const auto log = dp.log();
  for (const auto& [ep, unused] : addresses) {
    const std::string marker = "entrypoint=" + ep + " address=127.0.0.1:";
    auto at = log.find(marker);
    ASSERT_NE(at, std::string::npos) << log;
    ports[ep] = static_cast<std::uint16_t>(std::stoul(log.substr(at + marker.size(), 6)));
  }
  auto check = run_command({WHARF_CONTROLLER_BINARY, "--check", "--configfile", config});
  ASSERT_EQ(check.status, 0) << check.out;
  std::vector<Router> routers;
  std::map<std::string, std::string> types;
  parse_check(check.out, routers, types);
  ASSERT_FALSE(routers.empty()) << check.out;
  ChildProcess ctl({WHARF_CONTROLLER_BINARY, "--configfile", config, "--control-socket", socket,
                    "--metrics-address", "127.0.0.1:0"});

  const std::regex host_of(R"(Host\(`([^`*]+)`\))"), path_of(R"(Path(?:Prefix)?\(`([^`]+)`\))");
  std::size_t asked = 0;
  for (const auto& r : routers) {
    if (r.service.ends_with("@internal") && r.service != "noop@internal") continue;
    std::smatch h, p;
    if (!std::regex_search(r.rule, h, host_of)) continue;
    const std::string host = h[1], path = std::regex_search(r.rule, p, path_of) ? p[1].str() : "/";
    ASSERT_TRUE(ports.count(r.entrypoint)) << r.name << " on " << r.entrypoint;
    const std::string port = std::to_string(ports[r.entrypoint]);
    std::vector<std::string> args{"curl", "-sS", "-i", "--max-time", "5"};
    if (r.tls) {
      args.insert(args.end(), {"-k", "--resolve", host + ":" + port + ":127.0.0.1",
                               "https://" + host + ":" + port + path});
    } else {
      args.insert(args.end(), {"-H", "Host: " + host, "http://127.0.0.1:" + port + path});
    }
    // What Traefik answers: the first middleware that answers, else the service (the busybox
    // server: its page at /, its own 404 page elsewhere, never Wharf's 404).
    std::string want = r.service == "noop@internal" ? "HTTP/1.1 418"
                       : path == "/"                ? "hello"
                                                    : "<HTML><HEAD><TITLE>404 Not Found";
    std::string also;
    for (const auto& m : r.middlewares) {
      const std::string type = types[m];
      if (type == "redirectscheme") {
        want = "HTTP/1.1 30";
        also = "Location: https://" + host + path;
        break;
      }
      if (type == "basicauth") {
        want = " 401";
        also = "www-authenticate: Basic realm=";
        break;
      }
    }
    std::string out;
    for (auto end = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(100ms)) {
      out = run_command(args).out;
      if (out.find(want) != std::string::npos) break;
    }
    EXPECT_NE(out.find(want), std::string::npos) << name << " " << r.name << ":\n" << out;
    if (!also.empty()) {
      std::string lower = out, needle = also;
      for (auto* s : {&lower, &needle}) {
        for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      EXPECT_NE(lower.find(needle), std::string::npos) << name << " " << r.name << ":\n" << out;
    }
    ++asked;
  }
  EXPECT_GT(asked, 0u) << check.out;
}

INSTANTIATE_TEST_SUITE_P(Corpus, TraefikCorpusEndToEnd,
                         ::testing::Values("lucqqq-vaultwarden", "hzd-app",
                                           "bleak-dallas-uptime-kuma", "felbinger-vaultwarden",
                                           "felbinger-gitea", "webees-vaultwarden",
                                           "robtec-rocketchat", "ameerpb-gitea", "roddutra-grafana",
                                           "roddutra-plex", "roddutra-homeassistant",
                                           "roddutra-homarr"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return n;
                         });

}  // namespace
}  // namespace wharf::test
