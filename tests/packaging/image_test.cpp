// The container image: built from the Dockerfile by a real dockerd (the test's private one),
// on a Debian bookworm base made here with debootstrap (no registry is reachable), then run
// the way the docs say, read-only and as its non-root user, answering the demo.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "test_common/clients.hpp"
#include "test_common/dockerd.hpp"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

// A bookworm root filesystem as a tarball, made once per machine (debootstrap takes minutes)
// and kept in /var/cache/wharf-test.
std::string bookworm_tarball() {
  const std::string cache = "/var/cache/wharf-test/debian-bookworm-minbase.tar";
  if (std::filesystem::exists(cache)) return cache;
  std::filesystem::create_directories("/var/cache/wharf-test");
  TempDir root;
  auto r = run_command({"sh", "-c",
                        "debootstrap --variant=minbase bookworm " + root.path() +
                            "/rootfs http://deb.debian.org/debian >/dev/null 2>&1"
                            " && tar --numeric-owner -C " +
                            root.path() + "/rootfs -cf " + cache + ".tmp . && mv " + cache +
                            ".tmp " + cache});
  EXPECT_EQ(r.status, 0) << r.out;
  return r.status == 0 ? cache : std::string();
}

TEST(Image, BuildsFromTheDockerfileAndRunsTheDemoReadOnlyAsNonRoot) {
#ifdef WHARF_SANITIZED_BUILD
  GTEST_SKIP() << "the image is built and tested in the plain pass";
#endif
  auto why = Dockerd::unavailable_reason();
  if (why.empty() && !std::filesystem::exists("/usr/sbin/debootstrap")) {
    why = "debootstrap not installed (scripts/test.sh installs it)";
  }
  if (!why.empty()) {
    if (std::getenv("WHARF_REQUIRE_DOCKER")) FAIL() << why;
    GTEST_SKIP() << why;
  }
  const std::string tarball = bookworm_tarball();
  ASSERT_FALSE(tarball.empty());
  Dockerd d;
  const std::string docker = "docker -H " + d.endpoint();
  auto imported = run_command({"sh", "-c", docker + " import " + tarball + " debian:bookworm"});
  ASSERT_EQ(imported.status, 0) << imported.out;
  // The daemon has no bridge network: the build's apt-get reaches the mirror over the host's.
  auto built =
      run_command({"sh", "-c",
                   "DOCKER_BUILDKIT=0 " + docker +
                       " build --network host --build-arg RUNTIME=debian:bookworm -t wharf:test " +
                       std::string(WHARF_SOURCE_DIR) + " 2>&1 | tail -40"});
  auto image =
      run_command({"sh", "-c", docker + " image inspect -f '{{.Config.User}}' wharf:test"});
  ASSERT_EQ(image.status, 0) << built.out;
  EXPECT_EQ(image.out, "65532:65532\n");

  const auto port = free_port(), backend = free_port(), admin = free_port(), metrics = free_port();
  auto run = run_command(
      {"sh", "-c",
       docker +
           " run -d --name wharf-demo --network host --read-only --tmpfs /tmp"
           " --tmpfs /run/wharf:uid=65532,gid=65532,mode=0750"
           " --tmpfs /var/lib/wharf:uid=65532,gid=65532,mode=0750"
           " --cap-drop ALL --cap-add NET_BIND_SERVICE --health-interval 1s"
           " -e WHARF_DEMO_PORT=" +
           std::to_string(port) + " -e WHARF_DEMO_BACKEND_PORT=" + std::to_string(backend) +
           " -e WHARF_ADMIN_ADDRESS=127.0.0.1:" + std::to_string(admin) +
           " -e WHARF_METRICS_ADDRESS=127.0.0.1:" + std::to_string(metrics) + " wharf:test"});
  ASSERT_EQ(run.status, 0) << run.out;
  const unsigned status = wait_for_host_status(port, "anything.example", 200, 30'000, 100);
  auto logs = run_command({"sh", "-c", docker + " logs wharf-demo 2>&1 | tail -30"}).out;
  ASSERT_EQ(status, 200u) << logs;
  auto r = HttpClient(port).request("GET", "/hello", {{"Host", "whoami.localhost"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["x-upstream"], "demo");
  EXPECT_EQ(HttpClient(port).request("GET", "/private", {{"Host", "x"}}).status, 401u);
  // The image's HEALTHCHECK (wharf-dataplane healthcheck) turns healthy.
  std::string health;
  for (int i = 0; i < 100 && health != "healthy\n"; ++i) {
    health =
        run_command({"sh", "-c", docker + " inspect -f '{{.State.Health.Status}}' wharf-demo"}).out;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(health, "healthy\n") << logs;
  auto uid = run_command({"sh", "-c", docker + " exec wharf-demo id -u"});
  EXPECT_EQ(uid.out, "65532\n");
  // docker stop is a SIGTERM: the data plane drains and the demo exits cleanly.
  run_command({"sh", "-c", docker + " stop -t 20 wharf-demo"});
  auto code = run_command({"sh", "-c", docker + " inspect -f '{{.State.ExitCode}}' wharf-demo"});
  EXPECT_EQ(code.out, "0\n") << run_command({"sh", "-c", docker + " logs wharf-demo 2>&1"}).out;
}

}  // namespace
}  // namespace wharf::test
