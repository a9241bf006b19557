#include "controller/file/file_provider.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "controller/file/file_translator.hpp"
#include "log/log.hpp"

namespace wharf::controller::file {

FileProvider::FileProvider(asio::any_io_executor ex, std::string path, Stats& stats, Sink sink)
    : path_(std::move(path)), stats_(stats), sink_(std::move(sink)), inotify_(ex) {}

FileProvider::~FileProvider() = default;

model::Result<model::ProviderConfig> FileProvider::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return model::Error{path + ": cannot be read"};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return model::Error{path + ": read error"};
  auto slash = path.rfind('/');
  return translate(text.str(), slash == std::string::npos ? path : path.substr(slash + 1));
}

void FileProvider::reload() {
  auto started = std::chrono::steady_clock::now();
  auto config = load(path_);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::debug("file: read " + path_ + " in " + std::to_string(took.count()) + " ms");
  if (config) {
    last_good_ = *config;
    sink_(std::move(*config));
    return;
  }
  stats_.add("provider_errors_total", "file");
  if (last_good_) {
    log::error("file: " + config.error() + "; keeping the previous configuration");
    return;
  }
  log::error("file: " + config.error());
  model::ProviderConfig empty;
  empty.diagnostics.push_back({"file", path_, config.error()});
  sink_(std::move(empty));
}

awaitable<void> FileProvider::run() {
  auto slash = path_.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);

  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0 ||
      inotify_add_watch(fd, dir.c_str(),
                        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM) < 0) {
    log::error("file: cannot watch " + dir + "; changes to " + path_ + " need a restart");
    if (fd >= 0) ::close(fd);
    reload();
    co_return;
  }
  inotify_.assign(fd);
  reload();
  alignas(inotify_event) char buf[8192];
  while (true) {
    auto [ec, n] = co_await inotify_.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec) co_return;
    bool ours = false;
    for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
      auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      // ConfigMap volumes swap a "..data" symlink; treat any change there as ours too.
      if (ev->len > 0 && (base == ev->name || std::string_view(ev->name) == "..data")) ours = true;
      off += sizeof(inotify_event) + ev->len;
    }
    if (ours) reload();
  }
}

}  // namespace wharf::controller::file
