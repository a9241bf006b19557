#include "dataplane/proxy/wire.hpp"
#include "dataplane/io/stream.hpp"

#include "dataplane/proxy/append.hpp"
#include "dataplane/proxy/forwarded.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <charconv>
#include <span>
#include <tuple>

namespace wharf::dataplane::proxy {
namespace {

void append_fields(const http::fields& fields, std::string& out, std::string_view extra = {}) {
  // The room for every line first, then the copies.
  std::size_t n = size_of(extra, "\r\n");
  for (const auto& f : fields) n += size_of(f.name_string(), ": ", f.value(), "\r\n");
  char* d = grow(out, n);
  for (const auto& f : fields) d = put(d, f.name_string(), ": ", f.value(), "\r\n");
  put(d, extra, "\r\n");
}

std::string_view version_text(unsigned version) {
  return version == 10 ? "HTTP/1.0" : "HTTP/1.1";
}

// The reason phrase to write: the server's own; for a head that came without one, the standard
// phrase of a code Beast knows and none for another (an empty phrase is valid, RFC 9112 section
// 4). Beast's header stands in "<unknown-status>" for a missing phrase of a code it does not
// know (103, 299, 600), which is no phrase to show a client.
std::string_view reason_for(unsigned code, std::string_view given) {
  // A server's own phrase, the case of nearly every response, is known by its first byte.
  if (!given.empty() &&
      (given[0] != '<' || given != std::string_view(http::obsolete_reason(http::status::unknown))))
    return given;
  const auto status = http::int_to_status(code);
  if (status == http::status::unknown) return {};
  return http::obsolete_reason(status);
}

}  // namespace

void write_head(const http::request_header<>& head, std::string_view target, std::string& out,
                std::string_view extra) {
  out.clear();
  append(out, head.method_string(), " ", target, " ", version_text(head.version()), "\r\n");
  append_fields(head, out, extra);
}

void write_head(const http::response_header<>& head, std::string& out, std::string_view extra) {
  out.clear();
  char code[4];
  auto [end, ec] = std::to_chars(code, code + sizeof code, head.result_int());
  append(out, version_text(head.version()), " ", std::string_view(code, end - code), " ",
         reason_for(head.result_int(), head.reason()), "\r\n");
  append_fields(head, out, extra);
}

void write_head(const PlainResponse& head, unsigned version, std::string& out,
                std::string_view extra) {
  const std::string_view reason = reason_for(head.status_code, head.reason);
  out.clear();
  std::size_t n =
      size_of(version_text(version), " ", head.status, " ", reason, "\r\n", extra, "\r\n");
  for (std::size_t i = 0; i < head.run_count; ++i) n += head.runs[i].size();
  char* d = put(grow(out, n), version_text(version), " ", head.status, " ", reason, "\r\n");
  for (std::size_t i = 0; i < head.run_count; ++i) d = put(d, head.runs[i]);
  put(d, extra, "\r\n");
}

std::string last_chunk(http::fields& trailers) {
  strip_hop_by_hop(trailers);
  std::string out;
  if (trailers.begin() == trailers.end()) return out;
  out = "0\r\n";
  append_fields(trailers, out);
  return out;
}

awaitable<error_code> write_body_part(Stream& out, const std::string& head, const char* data,
                                      std::size_t n, bool chunked, bool last,
                                      std::string_view ending) {
  static constexpr std::string_view kCrlf = "\r\n";
  char size_line[24];
  std::size_t size_len = 0;
  std::array<asio::const_buffer, 5> bufs;
  std::size_t count = 0;
  if (!head.empty()) bufs[count++] = asio::buffer(head);
  if (n > 0) {
    if (chunked) {
      auto [end, ec] = std::to_chars(size_line, size_line + 20, n, 16);
      *end++ = '\r';
      *end++ = '\n';
      size_len = static_cast<std::size_t>(end - size_line);
      bufs[count++] = asio::buffer(size_line, size_len);
    }
    bufs[count++] = asio::buffer(data, n);
    if (chunked) bufs[count++] = asio::buffer(kCrlf);
  }
  if (last && chunked) bufs[count++] = asio::buffer(ending);
  if (count == 0) co_return error_code{};
  error_code ec;
  if (write_now(out, std::span<asio::const_buffer>(bufs.data(), count), ec)) co_return ec;
  // The rest, from where the socket stopped taking bytes. One buffer (a head) and two (head and
  // body) are nearly every write: Asio has small operations for those. A generic sequence gets
  // room for 64 buffers, over 1 KiB, too big for Asio's per-thread recycling, so a malloc and
  // free per write.
  if (count == 1) {
    std::tie(ec, std::ignore) = co_await asio::async_write(out, bufs[0], whole_write, kNoThrow);
    co_return ec;
  }
  if (count == 2) {
    const std::array<asio::const_buffer, 2> two{bufs[0], bufs[1]};
    std::tie(ec, std::ignore) = co_await asio::async_write(out, two, whole_write, kNoThrow);
    co_return ec;
  }
  std::tie(ec, std::ignore) = co_await asio::async_write(
      out, std::span<const asio::const_buffer>(bufs.data(), count), whole_write, kNoThrow);
  co_return ec;
}

}  // namespace wharf::dataplane::proxy
