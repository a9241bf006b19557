#include "files/private_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wharf::files {
namespace {

std::string failure(const std::string& what, const std::string& file) {
  return "cannot " + what + " " + file + ": " + std::strerror(errno);
}

}  // namespace

model::Status write_private_file(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return model::Error{failure("write", tmp)};
  auto abandon = [&](const std::string& why) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return model::Error{why};
  };
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return abandon(failure("write", tmp));
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return abandon(failure("flush", tmp));
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) return abandon(failure("write", tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return abandon(failure("replace", path));
  // The rename is in the directory: flush it too, or a crash may bring the old file back.
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return model::Error{failure("flush the directory", dir)};
  const bool flushed = ::fsync(dfd) == 0;
  const std::string why = flushed ? std::string() : failure("flush the directory", dir);
  ::close(dfd);
  if (!flushed) return model::Error{why};
  return model::kOk;
}

}  // namespace wharf::files
