#include "dataplane/server/http_session.hpp"

#include <boost/beast/core/string.hpp>

#include "dataplane/proxy/exchange.hpp"
#include "dataplane/server/request_head.hpp"
#include "dataplane/server/worker.hpp"
#include "rules/ast.hpp"

namespace wharf::dataplane::server {
namespace {

using ms = std::chrono::milliseconds;

class FieldsLookup : public rules::HeaderLookup {
 public:
  explicit FieldsLookup(const http::fields& f) : fields_(f) {}
  bool any_value(std::string_view name,
                 model::FunctionRef<bool(std::string_view)> pred) const override {
    auto [lo, hi] = fields_.equal_range(name);
    for (auto it = lo; it != hi; ++it) {
      if (pred(it->value())) return true;
    }
    return false;
  }

 private:
  const http::fields& fields_;
};

// Why a request head is refused before routing, or empty when it is acceptable. Beast has
// already refused Content-Length together with Transfer-Encoding, differing Content-Lengths and
// bad chunk sizes; what it lets through but RFC 9112 does not is checked here.
std::optional<std::pair<LocalReason, std::string>> check_framing(const http::request_header<>& h) {
  using R = std::optional<std::pair<LocalReason, std::string>>;
  auto te = h.find(http::field::transfer_encoding);
  if (te != h.end()) {
    // RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
    if (h.version() < 11) return R{{LocalReason::kBadRequest, "Transfer-Encoding in HTTP/1.0"}};
    std::string_view v = te->value();
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    bool last_chunked = v.size() >= 7 && beast::iequals(v.substr(v.size() - 7), "chunked");
    // Beast treats a final coding other than chunked as "no body" and would forward the rest
    // of the stream as a new request: that is the classic TE.CL smuggling shape (RFC 9112 6.3).
    if (!last_chunked) {
      return R{{LocalReason::kBadRequest, "Transfer-Encoding does not end with chunked"}};
    }
    auto all = h.equal_range(http::field::transfer_encoding);
    if (!beast::iequals(v, "chunked") || std::next(all.first) != all.second) {
      return R{{LocalReason::kNotImplemented, "only the chunked transfer coding is supported"}};
    }
  }
  // RFC 9112 section 3.2: exactly one Host in HTTP/1.1.
  auto hosts = h.equal_range(http::field::host);
  auto n = std::distance(hosts.first, hosts.second);
  if (n > 1) return R{{LocalReason::kBadRequest, "more than one Host header"}};
  if (n == 0 && h.version() >= 11) return R{{LocalReason::kBadRequest, "missing Host header"}};
  if (h.method() == http::verb::connect) {
    return R{{LocalReason::kNotImplemented, "CONNECT is not supported"}};
  }
  return std::nullopt;
}

// Splits the request target into the host it names (absolute-form only), the path and the
// query. Returns false for a target that is neither origin-form, absolute-form nor "*".
bool split_target(std::string_view target, std::string_view& host, std::string_view& path,
                  std::string_view& query) {
  host = {};
  if (target == "*") {
    path = target;
    query = {};
    return true;
  }
  if (!target.starts_with('/')) {
    // Absolute-form (RFC 9112 section 3.2.2): its authority replaces the Host header.
    auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return false;
    auto scheme = target.substr(0, scheme_end);
    if (!beast::iequals(scheme, "http") && !beast::iequals(scheme, "https")) return false;
    auto rest = target.substr(scheme_end + 3);
    auto slash = rest.find_first_of("/?");
    host = rest.substr(0, slash);
    if (host.empty() || host.find('@') != std::string_view::npos) return false;
    target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (target.starts_with('?')) return false;
  }
  auto q = target.find('?');
  path = target.substr(0, q);
  query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  if (auto frag = query.find('#'); frag != std::string_view::npos) query = query.substr(0, frag);
  return true;
}

}  // namespace

HttpSession::HttpSession(Worker& worker, tcp::socket socket, std::string entrypoint,
                         std::uint16_t port)
    : worker_(worker), stream_(std::move(socket)), entrypoint_(std::move(entrypoint)), port_(port) {
  error_code ec;
  auto remote = stream_.socket().remote_endpoint(ec);
  if (auto ip = model::IpAddress::parse(remote.address().to_string())) peer_ = *ip;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  worker_.add(this);
}

HttpSession::~HttpSession() {
  worker_.remove(this);
}

void HttpSession::close_if_idle() {
  if (waiting_) stream_.cancel();
}

awaitable<void> HttpSession::run() {
  while (!worker_.draining() || buffer_.size() > 0) {
    if (!co_await serve_one()) break;
  }
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.close();
}

awaitable<bool> HttpSession::reply(LocalReason reason, bool keep_alive, std::string_view detail) {
  auto ec =
      co_await write_local_reply(stream_, reason, version_, keep_alive, head_request_, detail);
  co_return keep_alive && !ec;
}

awaitable<bool> HttpSession::serve_one() {
  version_ = 11;
  head_request_ = false;
  HeadResult head;
  {
    const auto& table = worker_.table();
    auto timeouts = table ? table->entrypoint_timeouts(entrypoint_) : model::EntryPointTimeouts{};
    head = co_await read_request_head(stream_, buffer_, ms(timeouts.idle_ms),
                                      ms(timeouts.read_header_ms), waiting_);
  }
  // The table is taken once the head is here, so a request arriving after a swap sees the new
  // one, and kept to the end of the request even if another swap happens meanwhile.
  auto table = worker_.table();
  const auto ep_timeouts =
      table ? table->entrypoint_timeouts(entrypoint_) : model::EntryPointTimeouts{};
  switch (head.status) {
    case HeadStatus::kOk:
      break;
    case HeadStatus::kTooLarge:
      co_return co_await reply(LocalReason::kHeadersTooLarge, false);
    case HeadStatus::kBad:
      co_return co_await reply(LocalReason::kBadRequest, false, head.reason);
    case HeadStatus::kClosed:
    case HeadStatus::kTimeout:
      co_return false;
  }

  proxy::RequestParser parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxRequestHead));
  parser.body_limit(boost::none);
  error_code ec;
  parser.put(asio::buffer(buffer_.data().data(), head.size), ec);
  buffer_.consume(head.size);
  if (ec || !parser.is_header_done()) {
    // A named local, not a temporary in the co_await: GCC 12 destroys temporaries of a
    // conditional expression inside co_await twice.
    std::string why = ec ? ec.message() : "incomplete request head";
    co_return co_await reply(LocalReason::kBadRequest, false, why);
  }
  auto& req = parser.get();
  version_ = req.version();
  head_request_ = req.method() == http::verb::head;
  if (auto bad = check_framing(req)) co_return co_await reply(bad->first, false, bad->second);

  std::string_view target_host, path, query;
  if (!split_target(req.target(), target_host, path, query)) {
    co_return co_await reply(LocalReason::kBadRequest, false, "bad request target");
  }
  rules::normalize_host(
      target_host.empty() ? std::string_view(req[http::field::host]) : target_host, host_);
  rules::normalize_path(path, path_);

  const auto& trusted = worker_.options().trusted_proxies;
  auto client = proxy::compute_client(peer_, trusted, req);
  FieldsLookup headers(req);
  rules::RequestView view{req.method_string(), host_, path_, query, &headers, &client.client};
  bool keep_alive = req.keep_alive() && !worker_.draining();
  // A body we do not forward is not read either, so the connection cannot carry more requests.
  bool can_keep = keep_alive && parser.is_done();

  const routing::CompiledRouter* router = table ? table->match(entrypoint_, view) : nullptr;
  if (!router) co_return co_await reply(LocalReason::kNoRoute, can_keep);
  const routing::CompiledServer* server = router->service->pick();
  if (!server) co_return co_await reply(LocalReason::kNoServer, can_keep);

  // One buffer per connection, allocated on first use, serves both body directions.
  if (!relay_buffer_) relay_buffer_.reset(new char[proxy::kRelayBufferSize]);
  std::string origin_target;
  std::string_view target = req.target();
  if (!target_host.empty()) {
    origin_target = std::string(path) + (query.empty() ? "" : "?") + std::string(query);
    target = origin_target;
  }
  proxy::Exchange x{stream_,
                    buffer_,
                    parser,
                    target,
                    *router->service,
                    *server,
                    client,
                    "http",
                    ep_timeouts,
                    worker_.pool(),
                    relay_buffer_.get(),
                    req.keep_alive(),
                    worker_.draining()};
  co_return co_await proxy::forward(x);
}

awaitable<void> serve_connection(Worker& worker, tcp::socket socket, std::string entrypoint,
                                 std::uint16_t port) {
  HttpSession session(worker, std::move(socket), std::move(entrypoint), port);
  co_await session.run();
}

}  // namespace wharf::dataplane::server
