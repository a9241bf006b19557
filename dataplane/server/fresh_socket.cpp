#include "dataplane/server/fresh_socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/detail/socket_ops.hpp>
#include <boost/version.hpp>

namespace wharf::dataplane::server {
namespace {

// Tells the socket what accept4 did: non-blocking already, and not a duplicate. These state
// flags are Asio's implementation, reached through the protected member every Asio socket has;
// they are used only with the Boost they were read in (Debian 12's 1.81) and the epoll reactor.
// Elsewhere the connection works the same, with the two calls back.
struct FreshSocket : tcp::socket {
  using tcp::socket::basic_stream_socket;
  void mark_fresh() {
#if BOOST_VERSION / 100 == 1081 && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
    namespace ops = asio::detail::socket_ops;
    auto& state = impl_.get_implementation().state_;
    state |= ops::internal_non_blocking;
    state &= ~ops::possible_dup;
#endif
  }
};

}  // namespace

awaitable<error_code> connect_ready(Stream& stream, const tcp::endpoint& to) {
  error_code ec;
  const int fd = ::socket(to.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) co_return error_code(errno, asio::error::get_system_category());
  FreshSocket socket(stream.get_executor());
  socket.assign(to.protocol(), fd, ec);  // Registers it with epoll.
  if (ec) {
    ::close(fd);
    co_return ec;
  }
  socket.mark_fresh();
  stream.socket() = std::move(socket);
  if (::connect(fd, to.data(), static_cast<socklen_t>(to.size())) == 0) co_return ec;
  if (errno != EINPROGRESS) co_return error_code(errno, asio::error::get_system_category());
  auto [wec] = co_await stream.socket().async_wait(tcp::socket::wait_write, kNoThrow);
  if (wec) co_return wec;
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  co_return err ? error_code(err, asio::error::get_system_category()) : error_code();
}

tcp::socket accept_ready(tcp::acceptor& acceptor, tcp::endpoint& peer, error_code& ec) {
  FreshSocket socket(acceptor.get_executor());
  socklen_t len = static_cast<socklen_t>(peer.capacity());
  const int fd =
      ::accept4(acceptor.native_handle(), peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    ec.assign(errno, asio::error::get_system_category());
    return socket;
  }
  peer.resize(len);
  socket.assign(peer.protocol(), fd, ec);  // Registers it with epoll.
  if (ec) {
    ::close(fd);
    return socket;
  }
  socket.mark_fresh();
  return socket;
}

}  // namespace wharf::dataplane::server
