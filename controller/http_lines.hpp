#pragma once

// What the Docker and Kubernetes clients share about streamed HTTP answers: the event stream and
// the watch are both newline-delimited JSON in a body that never ends on its own, and both APIs
// explain a failure in a short JSON body worth quoting.

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "controller/net.hpp"

namespace wharf::controller {

// "<what>: HTTP 403: {\"message\":...}" with at most a few hundred bytes of the body.
inline std::string http_failure(std::string_view what, unsigned status, std::string_view body) {
  std::string b(body.substr(0, 400));
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
  return std::string(what) + ": HTTP " + std::to_string(status) + (b.empty() ? "" : ": " + b);
}

// Reads the rest of a response whose head `parser` has read, calling `on_line` with each
// '\n'-terminated line however the chunks cut them, until the body ends or `stop()` says so.
// Returns the error that ended the read (none when the body ended) and leaves an unterminated
// tail in `rest`.
template <typename Stream>
awaitable<error_code> read_lines(
    Stream& s, boost::beast::flat_buffer& buf,
    boost::beast::http::response_parser<boost::beast::http::buffer_body>& parser,
    std::function<void(std::string_view)> on_line, std::string& rest,
    std::function<bool()> stop = [] { return false; }) {
  namespace http = boost::beast::http;
  char chunk[16 * 1024];
  while (!parser.is_done() && !stop()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    auto [ec, n] = co_await http::async_read_some(s, buf, parser, kNoThrow);
    if (ec && ec != http::error::need_buffer) co_return ec;
    rest.append(chunk, sizeof chunk - parser.get().body().size);
    for (auto nl = rest.find('\n'); nl != std::string::npos; nl = rest.find('\n')) {
      if (nl > 0) on_line(std::string_view(rest).substr(0, nl));
      rest.erase(0, nl + 1);
    }
  }
  co_return error_code{};
}

// The body of a failed streamed request (a few hundred bytes are enough to explain it).
template <typename Stream>
awaitable<std::string> read_error_body(
    Stream& s, boost::beast::flat_buffer& buf,
    boost::beast::http::response_parser<boost::beast::http::buffer_body>& parser) {
  std::string body, rest;
  std::function<void(std::string_view)> collect = [&](std::string_view line) {
    body.append(line).append("\n");
  };
  std::function<bool()> enough = [&] { return body.size() + rest.size() > 4096; };
  co_await read_lines(s, buf, parser, collect, rest, enough);
  co_return body + rest;
}

}  // namespace wharf::controller
