#include "controller/docker/engine_client.hpp"

#include <charconv>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "controller/http_lines.hpp"

namespace wharf::controller::docker {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using model::Error;
using model::Result;
using model::Status;

using UnixStream = beast::basic_stream<asio::local::stream_protocol>;
using TcpStream = beast::basic_stream<tcp>;

constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr std::size_t kMaxBody = 256u << 20;  // A list of thousands of containers fits.
// The newest API version requested. The fields read (Id, Name, Config.Labels/ExposedPorts,
// State, HostConfig.NetworkMode, NetworkSettings.Networks/Ports, event Type/Action) have the
// same shape in every version from 1.41 up to this one.
constexpr const char* kNewestApi = "1.47";

// API versions compare numerically per component ("1.9" < "1.41").
bool older(std::string_view a, std::string_view b) {
  auto part = [](std::string_view& s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    if (!s.empty() && s.front() == '.') s.remove_prefix(1);
    return v;
  };
  for (int i = 0; i < 2; ++i) {
    auto x = part(a), y = part(b);
    if (x != y) return x < y;
  }
  return false;
}

// Connects a fresh stream to the endpoint, whichever kind it is, then runs `fn` on it.
template <typename Fn>
auto with_stream(asio::any_io_executor ex, const Endpoint& ep, Fn fn)
    -> decltype(fn(std::declval<UnixStream&>())) {
  if (ep.is_unix) {
    UnixStream s(ex);
    s.expires_after(kRequestTimeout);
    auto [ec] = co_await s.async_connect(asio::local::stream_protocol::endpoint(ep.path), kNoThrow);
    if (ec) co_return Error{"cannot connect to " + ep.text + ": " + ec.message()};
    co_return co_await fn(s);
  }
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(ep.host, ep.port, kNoThrow);
  if (rec) co_return Error{"cannot resolve " + ep.text + ": " + rec.message()};
  TcpStream s(ex);
  s.expires_after(kRequestTimeout);
  auto [ec, unused] = co_await s.async_connect(results, kNoThrow);
  if (ec) co_return Error{"cannot connect to " + ep.text + ": " + ec.message()};
  co_return co_await fn(s);
}

http::request<http::empty_body> make_get(const std::string& target) {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  // The Engine API ignores Host on a unix socket but HTTP/1.1 requires one.
  req.set(http::field::host, "docker");
  req.set(http::field::user_agent, "wharf-controller");
  return req;
}

template <typename Stream>
awaitable<Result<http::response<http::string_body>>> exchange(Stream& s, std::string target) {
  auto req = make_get(target);
  auto [wec, w] = co_await http::async_write(s, req, kNoThrow);
  if (wec) co_return Error{"GET " + target + ": " + wec.message()};
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  auto [rec, r] = co_await http::async_read(s, buf, parser, kNoThrow);
  if (rec) co_return Error{"GET " + target + ": " + rec.message()};
  co_return parser.release();
}

}  // namespace

Result<std::string> negotiate_api_version(std::string_view server) {
  if (server.empty()) return Error{"no API-Version header; is this a Docker daemon?"};
  if (older(server, "1.41")) {
    return Error{"Docker API " + std::string(server) +
                 " is older than 1.41 (Docker 20.10), the oldest supported"};
  }
  return std::string(older(server, kNewestApi) ? server : kNewestApi);
}

Result<Endpoint> parse_endpoint(std::string_view url) {
  Endpoint ep;
  ep.text = std::string(url);
  if (url.starts_with("unix://")) {
    ep.path = std::string(url.substr(7));
    if (ep.path.empty() || ep.path.front() != '/') {
      return Error{"docker endpoint '" + ep.text + "': expected unix:///absolute/path"};
    }
    return ep;
  }
  if (url.starts_with("tcp://") || url.starts_with("http://")) {
    auto rest = url.substr(url.find("//") + 2);
    rest = rest.substr(0, rest.find('/'));
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == rest.size()) {
      return Error{"docker endpoint '" + ep.text + "': expected tcp://host:port"};
    }
    ep.is_unix = false;
    ep.host = std::string(rest.substr(0, colon));
    if (ep.host.size() > 2 && ep.host.front() == '[')
      ep.host = ep.host.substr(1, ep.host.size() - 2);
    ep.port = std::string(rest.substr(colon + 1));
    return ep;
  }
  return Error{"docker endpoint '" + ep.text + "': expected unix:///path or tcp://host:port"};
}

EngineClient::EngineClient(asio::any_io_executor ex, Endpoint endpoint)
    : ex_(std::move(ex)), endpoint_(std::move(endpoint)) {}

awaitable<Result<std::string>> EngineClient::negotiate() {
  auto res = co_await with_stream(ex_, endpoint_, [](auto& s) { return exchange(s, "/_ping"); });
  if (!res) co_return Error{res.error()};
  if (res->result() != http::status::ok)
    co_return Error{http_failure("GET /_ping", res->result_int(), res->body())};
  auto version = negotiate_api_version(res->base()["API-Version"]);
  if (!version) co_return Error{"GET /_ping: " + version.error()};
  version_ = *version;
  co_return version_;
}

awaitable<Result<std::string>> EngineClient::get(std::string target) {
  const std::string full = "/v" + version_ + target;
  auto res = co_await with_stream(ex_, endpoint_, [&full](auto& s) { return exchange(s, full); });
  if (!res) co_return Error{res.error()};
  if (res->result() != http::status::ok)
    co_return Error{http_failure("GET " + full, res->result_int(), res->body())};
  co_return std::move(res->body());
}

awaitable<Status> EngineClient::events(std::string query, std::function<void()> on_open,
                                       std::function<void(std::string_view)> on_event) {
  const std::string full = "/v" + version_ + "/events" + query;
  co_return co_await with_stream(ex_, endpoint_, [&](auto& s) -> awaitable<Status> {
    auto req = make_get(full);
    auto [wec, w] = co_await http::async_write(s, req, kNoThrow);
    if (wec) co_return Error{"GET " + full + ": " + wec.message()};
    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // The stream is endless by design.
    auto [hec, h] = co_await http::async_read_header(s, buf, parser, kNoThrow);
    if (hec) co_return Error{"GET " + full + ": " + hec.message()};
    if (parser.get().result() != http::status::ok) {
      auto body = co_await read_error_body(s, buf, parser);
      co_return Error{http_failure("GET " + full, parser.get().result_int(), body)};
    }
    s.expires_never();  // Quiet hours without events are normal.
    on_open();
    std::string rest;  // Docker writes one JSON object per line.
    auto ec = co_await read_lines(s, buf, parser, on_event, rest);
    if (ec) co_return Error{"event stream: " + ec.message()};
    co_return Error{"event stream ended"};
  });
}

}  // namespace wharf::controller::docker
