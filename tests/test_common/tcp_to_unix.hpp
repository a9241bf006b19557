#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

namespace wharf::test {

// Forwards tcp://127.0.0.1:PORT to the daemon's unix socket and records the first line of
// every connection (the controller sends one request per connection), so a test can reach
// dockerd over TCP and see exactly which requests the controller made.
class TcpToUnix {
 public:
  explicit TcpToUnix(std::string unix_path)
      : path_(std::move(unix_path)), acceptor_(io_, {boost::asio::ip::address_v4::loopback(), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TcpToUnix() {
    io_.stop();
    thread_.join();
  }
  std::string endpoint() const {
    return "tcp://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::vector<std::string> request_lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  using tcp = boost::asio::ip::tcp;
  using local = boost::asio::local::stream_protocol;
  struct Pair {
    explicit Pair(boost::asio::io_context& io) : a(io), b(io) {}
    tcp::socket a;
    local::socket b;
    char up[65536], down[65536];
    bool first = true;
  };
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      auto p = std::make_shared<Pair>(io_);
      p->a = std::move(s);
      p->b.connect(local::endpoint(path_), ec);
      if (!ec) {
        pump_up(p);
        pump_down(p);
      }
      accept();
    });
  }
  void pump_up(std::shared_ptr<Pair> p) {
    p->a.async_read_some(
        boost::asio::buffer(p->up), [this, p](boost::system::error_code ec, std::size_t n) {
          if (ec) return p->b.shutdown(local::socket::shutdown_send, ec);
          if (p->first) {
            std::string head(p->up, n);
            std::lock_guard lock(mu_);
            lines_.push_back(head.substr(0, head.find("\r\n")));
            p->first = false;
          }
          boost::asio::async_write(p->b, boost::asio::buffer(p->up, n),
                                   [this, p](boost::system::error_code wec, std::size_t) {
                                     if (!wec) pump_up(p);
                                   });
        });
  }
  void pump_down(std::shared_ptr<Pair> p) {
    p->b.async_read_some(
        boost::asio::buffer(p->down), [this, p](boost::system::error_code ec, std::size_t n) {
          if (ec) return p->a.shutdown(tcp::socket::shutdown_send, ec);
          boost::asio::async_write(p->a, boost::asio::buffer(p->down, n),
                                   [this, p](boost::system::error_code wec, std::size_t) {
                                     if (!wec) pump_down(p);
                                   });
        });
  }

  std::string path_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace wharf::test
