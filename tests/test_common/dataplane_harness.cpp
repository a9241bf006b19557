#include "test_common/dataplane_harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "test_common/clients.hpp"

namespace wharf::test {

TempDir::TempDir() {
  char tmpl[] = "/tmp/wharf-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

InProcessDataplane::InProcessDataplane(unsigned threads, std::vector<std::string> extra_flags)
    : socket_(dir_.path() + "/control.sock"), state_(dir_.path() + "/state") {
  std::vector<std::string> args = {"wharf-dataplane",
                                   "--entrypoint",
                                   "web=127.0.0.1:0",
                                   "--control-socket",
                                   socket_,
                                   "--state-dir",
                                   state_,
                                   "--threads",
                                   std::to_string(threads),
                                   "--drain-timeout",
                                   "5"};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  auto options = dataplane::parse_options(static_cast<int>(argv.size()), argv.data(), nullptr);
  if (!options) throw std::runtime_error(options.error());
  dp_ = std::make_unique<dataplane::server::Dataplane>(std::move(*options));
  if (auto ok = dp_->start(); !ok) throw std::runtime_error(ok.error());
  thread_ = std::thread([this] { dp_->run(false); });
}

InProcessDataplane::~InProcessDataplane() {
  stop();
}

std::string InProcessDataplane::apply(const model::RoutingTable& table) {
  return apply_table(socket_, table);
}

void InProcessDataplane::stop() {
  if (!thread_.joinable()) return;
  dp_->stop();
  thread_.join();
}

DataplaneProcess::DataplaneProcess(std::vector<std::string> extra_flags,
                                   const std::string& state_dir)
    : socket_(dir_.path() + "/control.sock") {
  std::vector<std::string> args = {WHARF_DATAPLANE_BINARY,
                                   "--entrypoint",
                                   "web=127.0.0.1:0",
                                   "--control-socket",
                                   socket_,
                                   "--state-dir",
                                   state_dir.empty() ? dir_.path() + "/state" : state_dir};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    // Die with the test: an orphaned data plane would hold CTest's output pipe open forever.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  stderr_fd_ = pipefd[0];
  reader_ = std::thread([this] {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(stderr_fd_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard lock(mu_);
      log_.append(buf, static_cast<std::size_t>(n));
    }
  });
  // The data plane logs "entrypoint=web address=127.0.0.1:PORT" once it listens, and
  // "control socket ... ready" once a controller can connect.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      auto pos = log_.find("entrypoint=web address=127.0.0.1:");
      auto eol = pos == std::string::npos ? pos : log_.find('\n', pos);
      if (eol != std::string::npos && log_.find(" ready\n") != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::stoul(log_.substr(pos + 33, eol - pos - 33)));
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("wharf-dataplane did not start: " + log());
}

DataplaneProcess::~DataplaneProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

std::string DataplaneProcess::apply(const model::RoutingTable& table) {
  return apply_table(socket_, table);
}

int DataplaneProcess::terminate(int timeout_ms) {
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string DataplaneProcess::log() const {
  std::lock_guard lock(mu_);
  return log_;
}

}  // namespace wharf::test
