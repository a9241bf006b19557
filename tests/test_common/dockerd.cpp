#include "test_common/dockerd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

namespace wharf::test {
namespace {

std::string find_program(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return {};
}

std::string busybox() {
  return find_program({"/bin/busybox", "/usr/bin/busybox"});
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& args) {
  // Everything the child needs is made before fork: in a process with other threads (an
  // in-process data plane), the child may only call async-signal-safe functions until exec;
  // a malloc there can wait forever on a lock another thread held at fork time (seen under
  // ASan). The pipe is close-on-exec, so a command another thread starts meanwhile does not
  // keep its write end open and this read sees EOF.
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);  // dup2 clears close-on-exec on the copies.
    dup2(pipefd[1], STDERR_FILENO);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  CommandResult r;
  char buf[4096];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;)
    r.out.append(buf, static_cast<std::size_t>(n));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::uint16_t free_port() {
  // The ephemeral range's low end (Linux's default is 32768), read once.
  static const unsigned ephemeral_low = [] {
    unsigned low = 32768, high = 60999;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
    return low;
  }();
  static thread_local std::mt19937 random(std::random_device{}());
  const unsigned first = 10000, last = std::max(first + 1000, ephemeral_low) - 1;
  std::uniform_int_distribution<unsigned> pick(first, last);
  for (int tries = 0; tries < 1000; ++tries) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(pick(random)));
    const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (bound) return ntohs(addr.sin_port);
  }
  throw std::runtime_error("no free port below the ephemeral range");
}

std::string Dockerd::unavailable_reason() {
  if (geteuid() != 0) return "dockerd needs root";
  if (find_program({"/usr/sbin/dockerd", "/usr/bin/dockerd"}).empty())
    return "dockerd not installed (Debian package docker.io)";
  if (busybox().empty()) return "busybox not installed (Debian package busybox-static)";
  if (run_command({"docker", "--version"}).status != 0) return "docker CLI not installed";
  return {};
}

Dockerd::Dockerd() : socket_(dir_.path() + "/docker.sock") {
  start();
  // The image: a root filesystem holding only a static busybox and a page to serve.
  std::string root = dir_.path() + "/rootfs";
  std::filesystem::create_directories(root + "/bin");
  std::filesystem::create_directories(root + "/www");
  std::filesystem::copy_file(busybox(), root + "/bin/busybox");
  for (const char* applet : {"sh", "httpd", "sleep", "true", "false", "cat"}) {
    std::filesystem::create_symlink("busybox", root + "/bin/" + applet);
  }
  std::ofstream(root + "/www/index.html") << "hello\n";
  auto r = run_command(
      {"sh", "-c", "tar -C " + root + " -c . | docker -H " + endpoint() + " import - " + kImage});
  if (r.status != 0) throw std::runtime_error("docker import failed: " + r.out);
}

Dockerd::~Dockerd() {
  if (!daemon_) return;
  // Containers first, quickly, so the daemon's shutdown does not wait on them.
  auto ids = run_command({"docker", "-H", endpoint(), "ps", "-aq"});
  if (ids.status == 0 && !ids.out.empty()) {
    std::vector<std::string> rm = {"docker", "-H", endpoint(), "rm", "-f"};
    for (std::size_t pos = 0; pos < ids.out.size();) {
      auto nl = ids.out.find('\n', pos);
      if (nl == std::string::npos) nl = ids.out.size();
      if (nl > pos) rm.push_back(ids.out.substr(pos, nl - pos));
      pos = nl + 1;
    }
    run_command(rm);
  }
  stop();
  // Overlay mounts go with the daemon; anything left is unmounted lazily so cleanup works.
  run_command({"sh", "-c",
               "grep -o '" + dir_.path() + "[^ ]*' /proc/mounts | sort -r | xargs -r umount -l"});
}

void Dockerd::start() {
  const std::string& d = dir_.path();
  daemon_ = std::make_unique<ChildProcess>(std::vector<std::string>{
      find_program({"/usr/sbin/dockerd", "/usr/bin/dockerd"}), "--iptables=false", "--bridge=none",
      "--storage-driver=overlay2", "--exec-opt", "native.cgroupdriver=cgroupfs", "--data-root",
      d + "/data", "--exec-root", d + "/exec", "--pidfile", d + "/docker.pid", "-H", endpoint()});
  if (daemon_->wait_for_log("API listen on", std::chrono::seconds(60)) == std::string::npos) {
    throw std::runtime_error("dockerd did not start:\n" + daemon_->log());
  }
}

void Dockerd::stop() {
  if (daemon_ && daemon_->stop(SIGTERM, std::chrono::seconds(30)) == -1) daemon_->stop(SIGKILL);
  daemon_.reset();
}

void Dockerd::restart() {
  stop();
  start();
}

std::string Dockerd::docker(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"docker", "-H", endpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  std::string cmd;
  for (const auto& a : args) cmd += " " + a;
  EXPECT_EQ(r.status, 0) << "docker" << cmd << ":\n" << r.out;
  return r.out;
}

void Dockerd::run_httpd(const std::string& name, std::uint16_t port,
                        const std::vector<std::string>& labels,
                        const std::vector<std::string>& extra) {
  // --init: busybox as PID 1 ignores SIGTERM, and every stop would wait out the timeout.
  std::vector<std::string> args = {"run",  "-d",     "--init", "--stop-timeout", "2", "--network",
                                   "host", "--name", name};
  for (const auto& l : labels) {
    args.push_back("--label");
    args.push_back(l);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  for (const char* a : {kImage, "/bin/httpd", "-f", "-h", "/www", "-p"}) args.emplace_back(a);
  args.push_back("127.0.0.1:" + std::to_string(port));
  docker(args);
}

}  // namespace wharf::test
