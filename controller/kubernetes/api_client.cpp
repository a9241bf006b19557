#include "controller/kubernetes/api_client.hpp"

#include <openssl/ssl.h>

#include <fstream>
#include <sstream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "controller/http_lines.hpp"
#include "text/base64.hpp"

namespace wharf::controller::kubernetes {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using model::Error;
using model::Result;
using model::Status;

constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr std::size_t kMaxBody = 512u << 20;  // A page of 500 large objects fits many times.

std::string bearer_token(const ClusterConfig& c) {
  if (c.token_file.empty()) return c.token;
  std::ifstream in(c.token_file);
  std::ostringstream s;
  s << in.rdbuf();
  std::string t = s.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t.empty() ? c.token : t;
}

template <typename Request>
void authorize(Request& req, const ClusterConfig& c, const std::string& authority) {
  req.set(http::field::host, authority);
  req.set(http::field::user_agent, "wharf-controller");
  req.set(http::field::accept, "application/json");
  if (auto t = bearer_token(c); !t.empty()) {
    req.set(http::field::authorization, "Bearer " + t);
  } else if (!c.basic_auth.empty()) {
    req.set(http::field::authorization, "Basic " + text::base64_encode(c.basic_auth));
  }
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::string ApiResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

ApiClient::ApiClient(asio::any_io_executor ex, ClusterConfig config)
    : ex_(std::move(ex)), config_(std::move(config)) {}

ApiClient::~ApiClient() = default;

Status ApiClient::init() {
  std::string_view url = config_.server;
  if (url.starts_with("https://")) {
    tls_ = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return Error{"API server '" + config_.server + "': expected https:// or http://"};
  }
  url = url.substr(0, url.find('/'));
  auto colon = url.rfind(':');
  bool bracketed = !url.empty() && url.front() == '[';
  if (colon != std::string_view::npos && (!bracketed || url[colon - 1] == ']')) {
    host_ = std::string(url.substr(0, colon));
    port_ = std::string(url.substr(colon + 1));
  } else {
    host_ = std::string(url);
    port_ = tls_ ? "443" : "80";
  }
  if (host_.size() > 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
  if (host_.empty()) return Error{"API server '" + config_.server + "': missing host"};
  // Host names the port unless it is the scheme's (RFC 9110 section 7.2): servers that build
  // URLs from it (an ACME server's directory) would otherwise point clients elsewhere.
  authority_ = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  if (port_ != (tls_ ? "443" : "80")) authority_ += ":" + port_;
  if (!tls_) return model::kOk;

  ssl_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  ssl_->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                    asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (config_.ca_pem.empty()) {
    ssl_->set_default_verify_paths(ec);
  } else {
    ssl_->add_certificate_authority(asio::buffer(config_.ca_pem), ec);
  }
  if (ec) return Error{config_.source + ": certificate authority: " + ec.message()};
  ssl_->set_verify_mode(config_.insecure_skip_verify ? asio::ssl::verify_none
                                                     : asio::ssl::verify_peer);
  if (!config_.client_cert_pem.empty()) {
    ssl_->use_certificate_chain(asio::buffer(config_.client_cert_pem), ec);
    if (!ec)
      ssl_->use_private_key(asio::buffer(config_.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) return Error{config_.source + ": client certificate: " + ec.message()};
  }
  return model::kOk;
}

template <typename Fn>
auto ApiClient::with_stream(Fn fn) -> decltype(fn(std::declval<beast::tcp_stream&>())) {
  tcp::resolver resolver(ex_);
  auto [rec, results] = co_await resolver.async_resolve(host_, port_, kNoThrow);
  if (rec) co_return Error{"cannot resolve " + host_ + ": " + rec.message()};
  if (!tls_) {
    beast::tcp_stream s(ex_);
    s.expires_after(kRequestTimeout);
    auto [ec, unused] = co_await s.async_connect(results, kNoThrow);
    if (ec) co_return Error{"cannot connect to " + config_.server + ": " + ec.message()};
    co_return co_await fn(s);
  }
  beast::ssl_stream<beast::tcp_stream> s(ex_, *ssl_);
  if (!is_ip_literal(host_)) SSL_set_tlsext_host_name(s.native_handle(), host_.c_str());
  if (!config_.insecure_skip_verify)
    s.set_verify_callback(asio::ssl::host_name_verification(host_));
  beast::get_lowest_layer(s).expires_after(kRequestTimeout);
  auto [ec, unused] = co_await beast::get_lowest_layer(s).async_connect(results, kNoThrow);
  if (ec) co_return Error{"cannot connect to " + config_.server + ": " + ec.message()};
  auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (hec) co_return Error{"TLS handshake with " + config_.server + ": " + hec.message()};
  co_return co_await fn(s);
}

awaitable<Result<ApiResponse>> ApiClient::request(http::verb verb, std::string target,
                                                  std::string body, std::string content_type) {
  co_return co_await with_stream([&](auto& s) -> awaitable<Result<ApiResponse>> {
    http::request<http::string_body> req{verb, target, 11};
    authorize(req, config_, authority_);
    if (!body.empty()) {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.prepare_payload();
    auto [wec, w] = co_await http::async_write(s, req, kNoThrow);
    if (wec) co_return Error{target + ": " + wec.message()};
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    auto [rec, r] = co_await http::async_read(s, buf, parser, kNoThrow);
    if (rec) co_return Error{target + ": " + rec.message()};
    auto res = parser.release();
    ApiResponse out{res.result_int(), std::move(res.body()), {}};
    for (const auto& f : res.base()) out.headers.emplace_back(f.name_string(), f.value());
    co_return out;
  });
}

awaitable<Status> ApiClient::stream(std::string target,
                                    std::function<void(std::string_view)> on_line) {
  co_return co_await with_stream([&](auto& s) -> awaitable<Status> {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    authorize(req, config_, authority_);
    auto [wec, w] = co_await http::async_write(s, req, kNoThrow);
    if (wec) co_return Error{target + ": " + wec.message()};
    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // A watch streams for as long as the server keeps it open.
    auto [hec, h] = co_await http::async_read_header(s, buf, parser, kNoThrow);
    if (hec) co_return Error{target + ": " + hec.message()};
    const unsigned status = parser.get().result_int();
    if (status != 200) {
      auto body = co_await read_error_body(s, buf, parser);
      co_return Error{http_failure(target, status, body)};
    }
    // Idle watches are normal; the server ends them itself (timeoutSeconds).
    beast::get_lowest_layer(s).expires_never();
    std::string rest;
    auto ec = co_await read_lines(s, buf, parser, on_line, rest);
    if (ec) co_return Error{"watch " + target + ": " + ec.message()};
    co_return model::kOk;
  });
}

}  // namespace wharf::controller::kubernetes
