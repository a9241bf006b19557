#include "test_common/upstream_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <mutex>
#include <vector>

namespace wharf::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 64 * 1024;

std::uint64_t number_after(std::string_view target, std::string_view prefix) {
  std::uint64_t n = 0;
  auto s = target.substr(prefix.size());
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

}  // namespace

struct UpstreamServer::Impl {
  std::string name;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> served{0};
  std::atomic<unsigned> health{200};
  std::atomic<bool> stopped{false};
  mutable std::mutex mu;
  std::vector<std::string> targets;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, s] = co_await acceptor.async_accept(kNoThrow);
      if (ec) co_return;
      ++accepted;
      s.set_option(tcp::no_delay(true));
      asio::co_spawn(io, session(std::move(s)), asio::detached);
    }
  }

  template <typename Res>
  asio::awaitable<bool> send(tcp::socket& s, Res& res) {
    res.set("X-Upstream", name);
    auto [ec, n] = co_await http::async_write(s, res, kNoThrow);
    co_return !ec;
  }

  asio::awaitable<void> stream_bytes(tcp::socket& s, std::uint64_t total, bool chunked,
                                     bool keep_alive, bool head_only) {
    http::response<http::buffer_body> res{http::status::ok, 11};
    res.set("X-Upstream", name);
    res.set(http::field::content_type, "application/octet-stream");
    if (chunked) {
      res.chunked(true);
    } else {
      res.content_length(total);
    }
    res.keep_alive(keep_alive);
    http::response_serializer<http::buffer_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(s, sr, kNoThrow);
    if (hec || head_only) co_return;
    std::vector<char> buf(kChunk);
    std::uint64_t sent = 0;
    for (;;) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, total - sent));
      for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(pattern_byte(sent + i));
      sent += n;
      res.body().data = n ? buf.data() : nullptr;
      res.body().size = n;
      res.body().more = sent < total;
      auto [ec, w] = co_await http::async_write(s, sr, kNoThrow);
      if (ec && ec != http::error::need_buffer) co_return;
      if (sr.is_done()) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket s) {
    beast::flat_buffer buffer;
    buffer.reserve(kChunk);  // Beast reads at most the spare capacity per call.
    std::vector<char> body(kChunk);
    for (;;) {
      http::request_parser<http::buffer_body> p;
      p.body_limit(boost::none);
      p.header_limit(64 * 1024);
      auto [ec, n] = co_await http::async_read_header(s, buffer, p, kNoThrow);
      if (ec) co_return;
      auto& req = p.get();
      std::string target(req.target());
      ++served;
      {
        std::lock_guard lock(mu);
        targets.push_back(target);
      }

      if (target == "/ws" && beast::websocket::is_upgrade(req)) {
        beast::websocket::stream<tcp::socket> ws(std::move(s));
        http::request<http::empty_body> head{req.base()};
        auto [aec] = co_await ws.async_accept(head, kNoThrow);
        if (aec) co_return;
        beast::flat_buffer msg;
        for (;;) {
          auto [rec, rn] = co_await ws.async_read(msg, kNoThrow);
          if (rec) co_return;
          ws.text(ws.got_text());
          auto [wec, wn] = co_await ws.async_write(msg.data(), kNoThrow);
          if (wec) co_return;
          msg.consume(msg.size());
        }
      }

      // Read (and count) the request body, streaming.
      std::uint64_t received = 0, sum = 0;
      while (!p.is_done()) {
        req.body().data = body.data();
        req.body().size = body.size();
        auto [bec, bn] = co_await http::async_read_some(s, buffer, p, kNoThrow);
        if (bec && bec != http::error::need_buffer) co_return;
        std::size_t got = body.size() - req.body().size;
        for (std::size_t i = 0; i < got; ++i) sum += static_cast<unsigned char>(body[i]);
        received += got;
      }
      bool keep = req.keep_alive();

      if (target.starts_with("/bytes/")) {
        co_await stream_bytes(s, number_after(target, "/bytes/"),
                              target.find("chunked=1") != std::string::npos, keep,
                              req.method() == http::verb::head);
      } else if (target == "/health") {
        http::response<http::empty_body> res{static_cast<http::status>(health.load()), 11};
        res.keep_alive(keep);
        res.content_length(0);
        if (!co_await send(s, res)) co_return;
      } else if (target.starts_with("/status/")) {
        auto code = static_cast<unsigned>(number_after(target, "/status/"));
        http::response<http::empty_body> res{static_cast<http::status>(code), 11};
        res.keep_alive(keep);
        if (code != 204 && code != 304) res.content_length(0);
        if (!co_await send(s, res)) co_return;
      } else if (target.starts_with("/slow/")) {
        asio::steady_timer t(io, std::chrono::milliseconds(number_after(target, "/slow/")));
        co_await t.async_wait(kNoThrow);
        http::response<http::string_body> res{http::status::ok, 11, "slow done\n"};
        res.keep_alive(keep);
        res.prepare_payload();
        if (!co_await send(s, res)) co_return;
      } else if (target == "/close") {
        http::response<http::string_body> res{http::status::ok, 11, "close-delimited body\n"};
        res.keep_alive(false);
        if (!co_await send(s, res)) co_return;
        s.shutdown(tcp::socket::shutdown_send);
        co_return;
      } else if (target.starts_with("/auth")) {
        // A forward-auth server in the manner of Authelia: `X-Token: good` passes as alice;
        // anything else is sent to a login page that knows where the user was going.
        bool good = req["X-Token"] == "good";
        http::response<http::string_body> res{good ? http::status::ok : http::status::found, 11};
        res.set("X-Seen", std::string(req.method_string()) + " " + target + " " +
                              std::string(req["X-Forwarded-Method"]) + " " +
                              std::string(req["X-Forwarded-Proto"]) + "://" +
                              std::string(req["X-Forwarded-Host"]) +
                              std::string(req["X-Forwarded-Uri"]) + " for " +
                              std::string(req["X-Forwarded-For"]));
        // What ingress-nginx's auth-url sends (forwardauth's originalHeaders).
        if (!req["X-Original-URL"].empty()) {
          res.set("X-Seen-Original", std::string(req["X-Original-Method"]) + " " +
                                         std::string(req["X-Original-URL"]) + " redirect " +
                                         std::string(req["X-Auth-Request-Redirect"]) + " from " +
                                         std::string(req["X-Real-IP"]));
        }
        if (good) {
          res.set("X-Auth-User", "alice");
          res.set("X-Auth-Groups", "admins");
          res.set("X-Not-Copied", "1");
          res.insert(http::field::set_cookie, "auth_session=s1; Path=/; HttpOnly");
          res.insert(http::field::set_cookie, "tracking=t1");
        } else {
          res.set(http::field::location,
                  "https://login.example/?rd=" + std::string(req["X-Forwarded-Uri"]));
          res.insert(http::field::set_cookie, "csrf=c1; Path=/");
          res.insert(http::field::set_cookie, "flow=f1; Path=/");
          res.set(http::field::content_type, "text/html");
          res.body() = "<a href=\"https://login.example/\">log in</a>";
        }
        res.keep_alive(keep);
        res.prepare_payload();
        if (!co_await send(s, res)) co_return;
      } else if (target.starts_with("/upload")) {
        http::response<http::string_body> res{
            http::status::ok, 11,
            "received " + std::to_string(received) + " sum " + std::to_string(sum) + "\n"};
        res.keep_alive(keep);
        res.prepare_payload();
        if (!co_await send(s, res)) co_return;
      } else {
        std::string text = std::string(req.method_string()) + " " + target + "\n";
        for (const auto& f : req) {
          text += std::string(f.name_string()) + ": " + std::string(f.value()) + "\n";
        }
        http::response<http::string_body> res{http::status::ok, 11, text};
        res.set(http::field::content_type, "text/plain");
        res.keep_alive(keep);
        res.prepare_payload();
        if (!co_await send(s, res)) co_return;
      }
      if (!keep) {
        beast::error_code ignored;
        s.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }
};

UpstreamServer::UpstreamServer(std::string name, std::string address, std::uint16_t port,
                               unsigned threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
  tcp::endpoint ep(asio::ip::make_address(address), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(1024);
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  for (unsigned i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

UpstreamServer::~UpstreamServer() {
  stop();
}

std::uint16_t UpstreamServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}
std::uint64_t UpstreamServer::connections_accepted() const {
  return impl_ ? impl_->accepted.load() : accepted_at_kill_;
}
std::uint64_t UpstreamServer::requests_served() const {
  return impl_ ? impl_->served.load() : served_at_kill_;
}

std::vector<std::string> UpstreamServer::targets() const {
  if (!impl_) return {};
  std::lock_guard lock(impl_->mu);
  return impl_->targets;
}

void UpstreamServer::set_health(unsigned status) {
  impl_->health = status;
}

void UpstreamServer::kill() {
  stop();
  accepted_at_kill_ = impl_->accepted;
  served_at_kill_ = impl_->served;
  // Destroying the io_context destroys the suspended coroutines and with them their sockets.
  impl_.reset();
}

void UpstreamServer::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  impl_->io.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

void UpstreamServer::wait() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

}  // namespace wharf::test
