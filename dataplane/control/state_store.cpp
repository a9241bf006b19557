#include "dataplane/control/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "files/private_file.hpp"
#include "ipc/messages.hpp"

namespace wharf::dataplane::control {

model::Result<std::optional<model::RoutingTable>> StateStore::load() const {
  std::ifstream in(path(), std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<model::RoutingTable>{};
    return model::Error{"cannot read " + path() + ": " + std::strerror(errno)};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto table = ipc::decode_table(ss.str());
  if (!table) return model::Error{path() + ": " + table.error()};
  if (auto ok = model::validate(*table); !ok) return model::Error{path() + ": " + ok.error()};
  return std::optional<model::RoutingTable>{std::move(*table)};
}

model::Status StateStore::save(const model::RoutingTable& table) const {
  ::mkdir(dir_.c_str(), 0700);
  return files::write_private_file(path(), ipc::encode_table(table));
}

}  // namespace wharf::dataplane::control
