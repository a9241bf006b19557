#include "dataplane/control/control_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include "ipc/frame.hpp"
#include "ipc/messages.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::control {

using local = asio::local::stream_protocol;

ControlServer::ControlServer(asio::io_context& io, std::string path, Compile compile,
                             Install install,
                             std::function<void(const model::RoutingTable&)> persist)
    : io_(io),
      path_(std::move(path)),
      compile_(std::move(compile)),
      install_(std::move(install)),
      persist_(std::move(persist)) {}

model::Status ControlServer::listen() {
  auto slash = path_.rfind('/');
  if (slash != std::string::npos && slash > 0) ::mkdir(path_.substr(0, slash).c_str(), 0750);
  ::unlink(path_.c_str());
  acceptor_ = std::make_unique<local::acceptor>(io_);
  error_code ec;
  local::endpoint ep(path_);
  // The umask makes the socket 0660 from the first moment, so there is no window in which any
  // local user could connect and push a table.
  mode_t old = ::umask(0117);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->bind(ep, ec);
  ::umask(old);
  if (!ec) acceptor_->listen(16, ec);
  if (ec) return model::Error{"control socket " + path_ + ": " + ec.message()};
  if (::chmod(path_.c_str(), 0660) != 0) {
    return model::Error{"control socket " + path_ + ": chmod: " + std::strerror(errno)};
  }
  return model::kOk;
}

void ControlServer::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void ControlServer::stop() {
  if (!acceptor_) return;
  error_code ignored;
  acceptor_->close(ignored);
  // A connected controller would otherwise keep the control thread (and the drain) waiting
  // forever; it reconnects to the next data plane by itself.
  for (auto* socket : connections_) socket->close(ignored);
}

awaitable<void> ControlServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_->async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> ControlServer::serve(local::socket socket) {
  connections_.insert(&socket);
  struct Forget {
    std::set<local::socket*>& set;
    local::socket* s;
    ~Forget() { set.erase(s); }
  } forget{connections_, &socket};
  ipc::FrameDecoder decoder;
  char buf[64 * 1024];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec) co_return;
    decoder.feed({buf, n});
    for (;;) {
      auto frame = decoder.next();
      if (!frame) {
        // The stream is out of sync; nothing after this point can be trusted.
        log::warn("control: " + frame.error() + "; closing the connection");
        co_return;
      }
      if (!*frame) break;
      ipc::Message reply;
      auto msg = ipc::decode(**frame);
      if (!msg) {
        reply = ipc::Nack{0, msg.error()};
      } else if (auto* apply = std::get_if<ipc::Apply>(&*msg)) {
        auto version = apply->version;
        auto compiled = compile_(std::move(apply->table));
        if (!compiled) {
          reply = ipc::Nack{version, compiled.error()};
        } else {
          // Wait until every worker serves the new table before acking, so "acked" means
          // "the next request sees it".
          asio::steady_timer installed(io_, asio::steady_timer::time_point::max());
          install_(*compiled, [&installed] { installed.cancel(); });
          co_await installed.async_wait(kNoThrow);
          persist_((*compiled)->source());
          log::info("control: applied table version " + std::to_string(version) + " (" +
                    std::to_string((*compiled)->source().routers.size()) + " routers)");
          reply = ipc::Ack{version};
        }
      } else {
        reply = ipc::Nack{0, "expected an apply message"};
      }
      if (auto* nack = std::get_if<ipc::Nack>(&reply)) {
        log::warn("control: refused table version " + std::to_string(nack->version) + ": " +
                  nack->reason + "; the previous table keeps serving");
      }
      auto out = ipc::encode_frame(ipc::encode(reply));
      auto [wec, _] = co_await asio::async_write(socket, asio::buffer(out), kNoThrow);
      if (wec) co_return;
    }
  }
}

}  // namespace wharf::dataplane::control
