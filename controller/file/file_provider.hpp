#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "controller/net.hpp"
#include "controller/provider/stats.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::file {

// Reads a Traefik dynamic configuration file and watches it with inotify. The directory is
// watched, not the file, because editors and `kubectl`-mounted ConfigMaps replace files by
// rename. A file that fails to read or parse is reported and the last good configuration stays
// in force; before any good one exists, the provider reports an empty configuration carrying
// the error, so the other providers are not held back.
class FileProvider {
 public:
  using Sink = std::function<void(model::ProviderConfig)>;

  FileProvider(asio::any_io_executor ex, std::string path, Stats& stats, Sink sink);
  ~FileProvider();

  awaitable<void> run();
  static model::Result<model::ProviderConfig> load(const std::string& path);

 private:
  void reload();

  std::string path_;
  Stats& stats_;
  Sink sink_;
  asio::posix::stream_descriptor inotify_;
  std::optional<model::ProviderConfig> last_good_;
};

}  // namespace wharf::controller::file
