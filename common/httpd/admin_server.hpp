#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/result.hpp"

namespace wharf::httpd {

struct AdminRequest {
  std::string method;
  std::string path;   // Without the query.
  std::string query;  // Without '?'.
};

struct AdminResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The small HTTP/1.1 server both processes use for what operators and orchestrators read:
// /metrics, /healthz, /readyz and (in the data plane) the API and dashboard. It runs on the
// process's control thread, never on a worker, so a scrape cannot slow traffic down. Only GET
// and HEAD are answered; request bodies are not read.
class AdminServer {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  AdminServer(boost::asio::io_context& io, Handler handler);
  ~AdminServer();

  // Binds [host]:port (empty host: every address; port 0: any free one); the port bound.
  model::Result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  void start();
  // Closes the listener and every connection (the end of a drain).
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  Handler handler_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::set<boost::beast::tcp_stream*> connections_;
};

// The value of `name` in a query string ("a=1&b=2"), percent-decoded; empty when absent.
std::string query_param(std::string_view query, std::string_view name);

}  // namespace wharf::httpd
