#include "dataplane/proxy/fetch.hpp"

#include "dataplane/proxy/connect.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::proxy {

awaitable<std::optional<http::response<http::string_body>>> fetch(
    UpstreamPool& pool, const asio::any_io_executor& executor,
    const routing::CompiledServer& server, const http::request<http::empty_body>& req,
    std::chrono::milliseconds timeout, std::uint64_t body_limit, std::string_view what,
    bool* too_large) {
  if (!server.resolve_error.empty()) {
    log::warn(std::string(what) + ": " + server.resolve_error);
    co_return std::nullopt;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto conn = co_await connect(pool, executor, server, timeout, /*reuse=*/attempt == 0);
    if (!conn.stream) {
      log::warn(std::string(what) + ": connect to " + server.url + " failed: " + conn.ec.message());
      co_return std::nullopt;
    }
    auto& up = *conn.stream;
    up.expires_after(timeout);
    auto [wec, wn] = co_await http::async_write(up, req, kNoThrow);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    parser.skip(req.method() == http::verb::head);
    error_code rec = wec;
    if (!wec) std::tie(rec, std::ignore) = co_await http::async_read(up, buffer, parser, kNoThrow);
    // A pooled connection the server closed meanwhile: one more try on a fresh one.
    if (rec && conn.reused && !parser.got_some()) continue;
    if (rec) {
      if (too_large && rec == http::error::body_limit) *too_large = true;
      log::warn(std::string(what) + ": " + up.outcome(rec).message());
      co_return std::nullopt;
    }
    if (parser.get().keep_alive() && buffer.size() == 0)
      give_back(pool, server, std::move(conn.stream));
    co_return parser.release();
  }
  co_return std::nullopt;
}

}  // namespace wharf::dataplane::proxy
