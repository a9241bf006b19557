#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "controller/net.hpp"
#include "controller/provider/stats.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::file {

// Reads Traefik dynamic configuration (YAML or TOML) from one file or from every *.yml, *.yaml
// and *.toml file under a directory (Traefik's `providers.file.filename` and `.directory`), and
// watches it with inotify. Directories are watched, not files, because editors and
// `kubectl`-mounted ConfigMaps replace files by rename. A file that fails to read or parse is
// reported and its last good configuration stays in force; before it has one, the provider
// reports the error in its configuration, so the other files and providers are not held back.
class FileProvider {
 public:
  using Sink = std::function<void(model::ProviderConfig)>;

  FileProvider(asio::any_io_executor ex, std::string path, Stats& stats, Sink sink);
  ~FileProvider();

  awaitable<void> run();
  // One read of everything under `path`, each broken file a diagnostic (`--check`).
  static model::ProviderConfig load(const std::string& path);
  // One file; the name in messages is the file's path relative to `root` (its name for a file).
  static model::Result<model::ProviderConfig> load_file(const std::string& path,
                                                        const std::string& root);
  // The configuration files under `path`, in name order: `path` itself when it is a file.
  static std::vector<std::string> files(const std::string& path);

 private:
  void reload();
  std::vector<std::string> watched_directories() const;

  std::string path_;
  Stats& stats_;
  Sink sink_;
  asio::posix::stream_descriptor inotify_;
  int inotify_fd_ = -1;
  std::map<std::string, model::ProviderConfig> last_good_;  // By file.
};

// Appends one file's configuration to the provider's (the compiler reports names defined twice).
void merge(model::ProviderConfig& into, model::ProviderConfig from);

}  // namespace wharf::controller::file
