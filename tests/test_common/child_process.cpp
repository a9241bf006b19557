#include "test_common/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string_view>

namespace wharf::test {

ChildProcess::ChildProcess(std::vector<std::string> args, std::vector<std::string> env) {
  // argv and the environment are made before fork: the child of a process with other threads
  // may only call async-signal-safe functions until exec (a malloc can wait forever on a lock
  // another thread held at fork time).
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& mine : env) {
      replaced = replaced || entry.substr(0, entry.find('=') + 1) ==
                                 std::string_view(mine).substr(0, mine.find('=') + 1);
    }
    if (!replaced) envp.push_back(*e);
  }
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    // Nothing else of the test process: Asio opens sockets without close-on-exec, and a child
    // holding a data plane's listening socket would keep accepting for it after a drain.
    ::close_range(3, ~0U, 0);
    execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(devnull);
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
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ChildProcess::log() const {
  std::lock_guard lock(mu_);
  return log_;
}

std::size_t ChildProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout,
                                       std::size_t from) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      if (auto pos = log_.find(text, from); pos != std::string::npos) return pos + text.size();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::string::npos;
}

int ChildProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + timeout;
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

}  // namespace wharf::test
