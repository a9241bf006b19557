#include "test_common/dataplane_harness.hpp"

#include <signal.h>
#include <stdlib.h>

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
                                   "5",
                                   "--admin-address",
                                   "127.0.0.1:0"};
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
                                   const std::string& state_dir, const std::string& control_socket)
    : socket_(control_socket.empty() ? dir_.path() + "/control.sock" : control_socket) {
  std::vector<std::string> args = {WHARF_DATAPLANE_BINARY,
                                   "--entrypoint",
                                   "web=127.0.0.1:0",
                                   "--control-socket",
                                   socket_,
                                   "--state-dir",
                                   state_dir.empty() ? dir_.path() + "/state" : state_dir,
                                   "--admin-address",
                                   "127.0.0.1:0"};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  child_ = std::make_unique<ChildProcess>(std::move(args));
  // The data plane logs "entrypoint=web address=127.0.0.1:PORT" once it listens, and
  // "control socket ... ready" once a controller can connect.
  auto ready = child_->wait_for_log(" ready\n", std::chrono::seconds(20));
  auto at = child_->wait_for_log("entrypoint=web address=127.0.0.1:", std::chrono::seconds(1));
  if (ready == std::string::npos || at == std::string::npos) {
    throw std::runtime_error("wharf-dataplane did not start: " + log());
  }
  auto text = child_->log();
  port_ = static_cast<std::uint16_t>(std::stoul(text.substr(at, text.find('\n', at) - at)));
  if (auto admin = text.find("admin address=127.0.0.1:"); admin != std::string::npos) {
    admin += std::string_view("admin address=127.0.0.1:").size();
    admin_port_ = static_cast<std::uint16_t>(std::stoul(text.substr(admin, 6)));
  }
}

DataplaneProcess::~DataplaneProcess() = default;

std::string DataplaneProcess::apply(const model::RoutingTable& table) {
  return apply_table(socket_, table);
}

int DataplaneProcess::terminate(int timeout_ms) {
  return child_->stop(SIGTERM, std::chrono::milliseconds(timeout_ms));
}

std::string DataplaneProcess::log() const {
  return child_->log();
}

}  // namespace wharf::test
