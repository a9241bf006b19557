#include "dataplane/proxy/wire.hpp"

#include "dataplane/proxy/body_relay.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <charconv>
#include <span>

namespace wharf::dataplane::proxy {
namespace {

void append_fields(const http::fields& fields, std::string& out, std::string_view extra = {}) {
  for (const auto& f : fields) {
    out += f.name_string();
    out += ": ";
    out += f.value();
    out += "\r\n";
  }
  out += extra;
  out += "\r\n";
}

void append_version(unsigned version, std::string& out) {
  out += version == 10 ? "HTTP/1.0" : "HTTP/1.1";
}

}  // namespace

void write_head(const http::request_header<>& head, std::string& out, std::string_view extra) {
  out.clear();
  out += head.method_string();
  out += ' ';
  out += head.target();
  out += ' ';
  append_version(head.version(), out);
  out += "\r\n";
  append_fields(head, out, extra);
}

void write_head(const http::response_header<>& head, std::string& out) {
  out.clear();
  append_version(head.version(), out);
  char code[4];
  auto [end, ec] = std::to_chars(code, code + sizeof code, head.result_int());
  out += ' ';
  out.append(code, end);
  out += ' ';
  out += head.reason();
  out += "\r\n";
  append_fields(head, out);
}

awaitable<error_code> write_body_part(Stream& out, const std::string& head, const char* data,
                                      std::size_t n, bool chunked, bool last) {
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
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
  if (last && chunked) bufs[count++] = asio::buffer(kLastChunk);
  if (count == 0) co_return error_code{};
  auto [ec, written] = co_await asio::async_write(
      out, std::span<const asio::const_buffer>(bufs.data(), count), kNoThrow);
  co_return ec;
}

awaitable<RelayResult> relay_length(Stream& in, beast::flat_buffer& in_buffer, std::uint64_t left,
                                    std::chrono::milliseconds in_idle, Stream& out,
                                    std::string& head, std::chrono::milliseconds out_idle,
                                    RelayBuffer& relay) {
  if (!head.empty() && in_buffer.size() == 0) {
    out.expires_after(out_idle);
    if (auto ec = co_await write_body_part(out, head, nullptr, 0, false, false)) {
      co_return RelayResult{RelayStatus::kWriteFailed, ec};
    }
    head.clear();
  }
  while (left > 0) {
    const char* data = nullptr;
    std::size_t n = 0;
    const bool from_buffer = in_buffer.size() > 0;
    if (from_buffer) {
      // Bytes that arrived with the head are written from the parser's buffer directly: a
      // small response never needs the relay buffer.
      n = static_cast<std::size_t>(std::min<std::uint64_t>(left, in_buffer.size()));
      data = static_cast<const char*>(in_buffer.data().data());
    } else {
      char* buf = relay.get();
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, relay.size()));
      in.expires_after(in_idle);
      auto [ec, got] = co_await in.async_read_some(asio::buffer(buf, want), kNoThrow);
      if (ec) co_return RelayResult{RelayStatus::kReadFailed, ec};
      data = buf;
      n = got;
    }
    left -= n;
    out.expires_after(out_idle);
    auto ec = co_await write_body_part(out, head, data, n, false, left == 0);
    if (from_buffer) in_buffer.consume(n);
    if (ec) co_return RelayResult{RelayStatus::kWriteFailed, ec};
    head.clear();
  }
  co_return RelayResult{};
}

}  // namespace wharf::dataplane::proxy
