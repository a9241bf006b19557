#include "controller/file/file_provider.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/document.hpp"
#include "controller/file/file_translator.hpp"
#include "log/log.hpp"

namespace wharf::controller::file {
namespace fs = std::filesystem;
namespace {

bool is_config_name(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;  // ConfigMap's ..data, editors' swaps.
  for (const char* ext : {".yml", ".yaml", ".toml"}) {
    if (name.size() > std::string_view(ext).size() && name.ends_with(ext)) return true;
  }
  return false;
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

template <typename V>
void append(std::vector<V>& into, std::vector<V>& from) {
  into.insert(into.end(), std::make_move_iterator(from.begin()),
              std::make_move_iterator(from.end()));
}

}  // namespace

void merge(model::ProviderConfig& into, model::ProviderConfig from) {
  append(into.routers, from.routers);
  append(into.services, from.services);
  append(into.middlewares, from.middlewares);
  append(into.certificates, from.certificates);
  append(into.transports, from.transports);
  append(into.acme_challenges, from.acme_challenges);
  append(into.tls_options, from.tls_options);
  append(into.diagnostics, from.diagnostics);
}

FileProvider::FileProvider(asio::any_io_executor ex, std::string path, Stats& stats, Sink sink)
    : path_(std::move(path)), stats_(stats), sink_(std::move(sink)), inotify_(ex) {}

FileProvider::~FileProvider() = default;

std::vector<std::string> FileProvider::files(const std::string& path) {
  if (!is_directory(path)) return {path};
  std::vector<std::string> out;
  std::error_code ec;
  // Hidden directories (a ConfigMap's timestamped copies) are skipped with their contents.
  auto it =
      fs::recursive_directory_iterator(path, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if (!name.empty() && name.front() == '.') it.disable_recursion_pending();
      continue;
    }
    if (is_config_name(name)) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

model::Result<model::ProviderConfig> FileProvider::load_file(const std::string& path,
                                                             const std::string& root) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return model::Error{path + ": cannot be read"};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return model::Error{path + ": read error"};
  std::string name;
  if (path != root && path.starts_with(root + "/")) {
    name = path.substr(root.size() + 1);
  } else {
    auto slash = path.rfind('/');
    name = slash == std::string::npos ? path : path.substr(slash + 1);
  }
  return translate(text.str(), name);
}

model::ProviderConfig FileProvider::load(const std::string& path) {
  model::ProviderConfig out;
  for (const auto& f : files(path)) {
    auto config = load_file(f, path);
    if (config) {
      merge(out, std::move(*config));
    } else {
      out.diagnostics.push_back({"file", f, config.error()});
    }
  }
  return out;
}

void FileProvider::reload() {
  auto started = std::chrono::steady_clock::now();
  model::ProviderConfig merged;
  std::map<std::string, model::ProviderConfig> good;
  for (const auto& f : files(path_)) {
    auto config = load_file(f, path_);
    if (config) {
      good[f] = *config;
      merge(merged, std::move(*config));
      continue;
    }
    stats_.add("provider_errors_total", "file");
    if (auto last = last_good_.find(f); last != last_good_.end()) {
      log::error("file: " + config.error() + "; keeping the previous configuration");
      good[f] = last->second;
      merge(merged, last->second);
    } else {
      log::error("file: " + config.error());
      merged.diagnostics.push_back({"file", f, config.error()});
    }
  }
  last_good_ = std::move(good);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::debug("file: read " + path_ + " in " + std::to_string(took.count()) + " ms");
  sink_(std::move(merged));
}

std::vector<std::string> FileProvider::watched_directories() const {
  if (!is_directory(path_)) {
    auto slash = path_.rfind('/');
    return {slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash))};
  }
  std::vector<std::string> dirs{path_};
  std::error_code ec;
  auto it =
      fs::recursive_directory_iterator(path_, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    const std::string name = it->path().filename().string();
    if (!name.empty() && name.front() == '.') {
      it.disable_recursion_pending();
      continue;
    }
    dirs.push_back(it->path().string());
  }
  return dirs;
}

awaitable<void> FileProvider::run() {
  const bool directory = is_directory(path_);
  auto slash = path_.rfind('/');
  const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  constexpr std::uint32_t kEvents =
      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM;
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  bool watching = inotify_fd_ >= 0;
  // Adding a watch twice returns the same one, so new subdirectories are added on every change.
  auto watch_all = [&] {
    for (const auto& d : watched_directories()) {
      if (inotify_add_watch(inotify_fd_, d.c_str(), kEvents) < 0) watching = false;
    }
  };
  if (watching) watch_all();
  if (!watching) {
    log::error("file: cannot watch " + path_ + "; changes need a restart");
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    reload();
    co_return;
  }
  inotify_.assign(inotify_fd_);
  reload();
  alignas(inotify_event) char buf[8192];
  while (true) {
    auto [ec, n] = co_await inotify_.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec) co_return;
    bool ours = false;
    for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
      auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      const std::string_view name = ev->len > 0 ? std::string_view(ev->name) : "";
      // ConfigMap volumes swap a "..data" symlink; treat any change there as ours too.
      if (name == "..data" ||
          (directory ? (ev->mask & IN_ISDIR) || is_config_name(std::string(name)) : name == base)) {
        ours = true;
      }
      off += sizeof(inotify_event) + ev->len;
    }
    if (!ours) continue;
    if (directory) watch_all();
    reload();
  }
}

}  // namespace wharf::controller::file
