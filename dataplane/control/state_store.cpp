#include "dataplane/control/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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

model::Result<bool> StateStore::save(const model::RoutingTable& table) const {
  ::mkdir(dir_.c_str(), 0700);
  std::string tmp = path() + ".tmp";
  std::string json = ipc::encode_table(table);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return model::Error{"cannot write " + tmp + ": " + std::strerror(errno)};
  const char* p = json.data();
  std::size_t left = json.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return model::Error{"cannot write " + tmp + ": " + why};
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return model::Error{"cannot write " + tmp + ": " + std::strerror(errno)};
  }
  if (::rename(tmp.c_str(), path().c_str()) != 0) {
    return model::Error{"cannot rename " + tmp + ": " + std::strerror(errno)};
  }
  return true;
}

}  // namespace wharf::dataplane::control
