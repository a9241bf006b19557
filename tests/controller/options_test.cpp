#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "controller/app/options.hpp"
#include "controller/docker/docker_provider.hpp"
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
  EXPECT_EQ(parse({}).error(),
            "no provider enabled: give --file PATH and/or --docker-endpoint URL");
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

TEST(DockerEvents, OnlyRoutingRelevantEventsTriggerAResyncOfTheirContainer) {
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

TEST(DockerApi, VersionNegotiation) {
  EXPECT_EQ(*docker::negotiate_api_version("1.41"), "1.41");
  EXPECT_EQ(*docker::negotiate_api_version("1.45"), "1.45");
  EXPECT_EQ(*docker::negotiate_api_version("1.52"), "1.47");  // capped at what we know
  EXPECT_EQ(docker::negotiate_api_version("1.40").error(),
            "Docker API 1.40 is older than 1.41 (Docker 20.10), the oldest supported");
  EXPECT_FALSE(docker::negotiate_api_version("").ok());
}

TEST(DockerEndpoint, Parses) {
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

}  // namespace
}  // namespace wharf::controller
