#include "httpd/admin_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "text/percent.hpp"

namespace wharf::httpd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::string decode(std::string_view s) {
  std::string out;
  text::form_decode(s, out);
  return out;
}

}  // namespace

std::string query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

AdminServer::AdminServer(asio::io_context& io, Handler handler)
    : io_(io), handler_(std::move(handler)) {}

AdminServer::~AdminServer() = default;

model::Result<std::uint16_t> AdminServer::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto ip = host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                         : asio::ip::make_address(host, ec);
  if (ec) return model::Error{"admin address: bad host '" + host + "'"};
  tcp::endpoint ep(ip, port);
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->open(ep.protocol(), ec);
  if (!ec && ep.address().is_v6()) acceptor_->set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(64, ec);
  if (ec) {
    return model::Error{"admin address " + (host.empty() ? "*" : host) + ":" +
                        std::to_string(port) + ": " + ec.message()};
  }
  return acceptor_->local_endpoint().port();
}

void AdminServer::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void AdminServer::stop() {
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  for (auto* s : connections_) s->socket().close(ignored);
}

asio::awaitable<void> AdminServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_->async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> AdminServer::serve(tcp::socket s) {
  beast::tcp_stream socket(std::move(s));
  connections_.insert(&socket);
  struct Forget {
    std::set<beast::tcp_stream*>& set;
    beast::tcp_stream* s;
    ~Forget() { set.erase(s); }
  } forget{connections_, &socket};
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(16 * 1024);
    // An idle or trickling client is dropped: the admin port must not collect connections.
    socket.expires_after(std::chrono::seconds(30));
    auto [rec, rn] = co_await bhttp::async_read(socket, buffer, parser, kNoThrow);
    if (rec) co_return;
    auto& req = parser.get();
    std::string_view target = req.target();
    auto q = target.find('?');
    AdminRequest ar{
        std::string(req.method_string()), std::string(target.substr(0, q)),
        q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1))};
    AdminResponse r;
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
      r = {405,
           "text/plain; charset=utf-8",
           "405 Method Not Allowed: the admin API is read-only\n",
           {{"Allow", "GET, HEAD"}}};
    } else {
      r = handler_(ar);
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), req.version()};
    res.set(bhttp::field::server, "wharf");
    res.set(bhttp::field::content_type, r.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    // The dashboard is the only page; nothing may frame it or sniff types (it shows routes).
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    if (req.method() == bhttp::verb::head) res.body().clear();
    bhttp::response_serializer<bhttp::string_body> sr{res};
    boost::system::error_code wec;
    if (req.method() == bhttp::verb::head) {
      std::tie(wec, std::ignore) = co_await bhttp::async_write_header(socket, sr, kNoThrow);
    } else {
      std::tie(wec, std::ignore) = co_await bhttp::async_write(socket, sr, kNoThrow);
    }
    if (wec || !res.keep_alive()) co_return;
  }
}

}  // namespace wharf::httpd
