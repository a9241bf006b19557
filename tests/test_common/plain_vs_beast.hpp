#pragma once

// The plain response-head parser checked against Beast's parser, which the proxy uses for
// every head the plain one does not take: shared by the unit tests and the fuzz target.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/proxy/plain_response.hpp"
#include "dataplane/proxy/response.hpp"
#include "dataplane/proxy/wire.hpp"
#include "text/ows.hpp"

namespace wharf::test {

// What the two parsers disagree on for the response head at the start of `bytes`, or "" when
// they agree. A head taken as plain must be one Beast accepts, ending at the same byte, with
// the same status, reason (as written), length and persistence, and its kept lines must be
// Beast's fields minus the hop-by-hop ones (values compared without surrounding whitespace,
// which Beast trims). A head the plain parser waits on must be one Beast cannot finish
// either.
inline std::string plain_vs_beast(std::string_view bytes) {
  using namespace wharf::dataplane;
  proxy::PlainResponse plain;
  const auto result = proxy::parse_plain_response(bytes, plain);
  if (result == proxy::PlainParse::kNotPlain) return {};
  proxy::ResponseParser beast;
  beast.header_limit(proxy::kMaxResponseHead);
  beast.body_limit(boost::none);
  error_code ec;
  const std::size_t used = beast.put(asio::buffer(bytes.data(), bytes.size()), ec);
  const bool beast_done = !ec && beast.is_header_done();
  if (result == proxy::PlainParse::kIncomplete) {
    return beast_done ? "plain waits for more, Beast finished the head" : "";
  }
  if (!beast_done) return "plain took a head Beast refuses: " + ec.message();
  const auto& h = beast.get();
  if (used != plain.size) {
    return "head ends at " + std::to_string(plain.size) + ", Beast at " + std::to_string(used);
  }
  if (h.result_int() != plain.status_code) return "status differs";
  // The status line each head writer puts out, from the code on (the version is the
  // client's): the server's phrase, or the code's standard one, or none.
  std::string written, beast_written;
  proxy::write_head(plain, 11, written);
  proxy::write_head(h, beast_written);
  const auto status_line = [](const std::string& w) { return w.substr(9, w.find("\r\n") - 9); };
  if (status_line(written) != status_line(beast_written)) {
    return "status line differs: " + status_line(written) + " | " + status_line(beast_written);
  }
  if (!beast.content_length() || *beast.content_length() != plain.content_length) {
    return "Content-Length differs";
  }
  if (beast.keep_alive() != plain.keep_alive) return "keep-alive differs";
  // Beast files a repeated name after the field's earlier lines, the plain writer keeps the
  // received order: the order of lines with the same name (which is what carries meaning,
  // RFC 9110 section 5.3) is compared, by name in any case.
  using Line = std::pair<std::string, std::string>;
  std::vector<Line> beast_lines, plain_lines;
  auto lower = [](std::string_view n) {
    std::string l(n);
    for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return l;
  };
  for (const auto& f : h) {
    switch (f.name()) {
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::te:
      case http::field::trailer:
      case http::field::upgrade:
        continue;
      default:
        beast_lines.emplace_back(lower(f.name_string()), std::string(f.value()));
    }
  }
  for (std::size_t i = 0; i < plain.run_count; ++i) {
    std::string_view run = plain.runs[i];
    while (!run.empty()) {
      const auto eol = run.find("\r\n");
      if (eol == std::string_view::npos) return "a kept run does not end in CRLF";
      const auto line = run.substr(0, eol);
      const auto colon = line.find(':');
      plain_lines.emplace_back(lower(line.substr(0, colon)),
                               text::trim_ows(line.substr(colon + 1)));
      run.remove_prefix(eol + 2);
    }
  }
  auto by_name = [](const Line& a, const Line& b) { return a.first < b.first; };
  std::stable_sort(beast_lines.begin(), beast_lines.end(), by_name);
  std::stable_sort(plain_lines.begin(), plain_lines.end(), by_name);
  std::string want, got;
  for (const auto& [n, v] : beast_lines) want += n + ":" + v + "\n";
  for (const auto& [n, v] : plain_lines) got += n + ":" + v + "\n";
  if (want != got) return "kept fields differ:\n" + got + "Beast:\n" + want;
  return {};
}

}  // namespace wharf::test
