#include "dataplane/proxy/body_relay.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <tuple>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "dataplane/proxy/encoder.hpp"

namespace wharf::dataplane::proxy {

namespace {

// The largest multiple of the outgoing connection's segment size (MSS) up to `cap`. A write
// of any other size ends in a short segment the kernel sends at once (TCP_NODELAY), and each
// short segment the receiver has read is acknowledged at once. Reading whole segments costs
// nothing in latency: every byte read is written at once. Asked once per body, not per read
// (a system call per 16 KiB piece of an upload): the kernel bounds the MSS by half the largest
// window the peer has offered, so on a new connection it grows during the first body (on
// loopback from 32,741 to 65,483), whose pieces then end in nearly full segments instead.
// TLS frames its own records.
std::size_t whole_segments(Stream& out, std::size_t cap) {
  if (out.is_tls()) return cap;
  int mss = 0;
  socklen_t len = sizeof mss;
  if (::getsockopt(out.socket().native_handle(), IPPROTO_TCP, TCP_MAXSEG, &mss, &len) != 0 ||
      mss < 536 || static_cast<std::size_t>(mss) > cap)
    return cap;
  return cap - cap % static_cast<std::size_t>(mss);
}

}  // namespace

awaitable<RelayResult> relay_length(Stream& in, beast::flat_buffer& in_buffer, std::uint64_t left,
                                    std::chrono::milliseconds in_idle, Stream& out,
                                    std::string& head, std::chrono::milliseconds out_idle,
                                    RelayBuffer& relay, std::size_t max_read) {
  // The head alone: nothing of the body is here yet, or there is no body.
  if (!head.empty() && (in_buffer.size() == 0 || left == 0)) {
    out.expires_after(out_idle);
    std::array<asio::const_buffer, 1> only{asio::buffer(head)};
    error_code ec;
    if (!write_now(out, only, ec)) {
      std::tie(ec, std::ignore) = co_await asio::async_write(out, only, whole_write, kNoThrow);
    }
    if (ec) co_return RelayResult{RelayStatus::kWriteFailed, ec};
    head.clear();
  }
  // The writes here are unframed, so Asio's write of one or two buffers does directly what
  // write_body_part would (a coroutine level fewer on every response with a length).
  std::uint64_t total = 0;
  std::size_t piece = 0;  // At the first read from the socket: a small body never needs it.
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
      if (piece == 0) piece = whole_segments(out, std::min(max_read, relay.size()));
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, piece));
      in.expires_after(in_idle);
      auto [ec, got] = co_await in.async_read_some(asio::buffer(buf, want), kNoThrow);
      if (ec) co_return RelayResult{RelayStatus::kReadFailed, ec, total};
      data = buf;
      n = got;
    }
    left -= n;
    total += n;
    out.expires_after(out_idle);
    std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(data, n)};
    error_code ec;
    if (!write_now(out, parts, ec)) {
      std::tie(ec, std::ignore) = co_await asio::async_write(out, parts, whole_write, kNoThrow);
    }
    if (from_buffer) in_buffer.consume(n);
    if (ec) co_return RelayResult{RelayStatus::kWriteFailed, ec, total};
    head.clear();
  }
  co_return RelayResult{RelayStatus::kOk, {}, total};
}

awaitable<RelayResult> relay_encoded(Stream& in, beast::flat_buffer& in_buffer,
                                     http::response_parser<http::buffer_body>& parser,
                                     std::chrono::milliseconds in_idle, Stream& out,
                                     std::string& head, bool chunked,
                                     std::chrono::milliseconds out_idle, RelayBuffer& relay,
                                     Encoder& encoder, std::string& scratch, std::uint64_t limit) {
  char* buf = relay.get();
  const std::size_t size = RelayBuffer::size();
  auto remaining = parser.content_length_remaining();
  if ((!remaining || *remaining > in_buffer.size()) && in_buffer.capacity() < size) {
    in_buffer.reserve(size);
  }
  // The head goes out at once when no body byte is here yet (a stream that starts slowly).
  if (in_buffer.size() == 0 && !parser.is_done()) {
    out.expires_after(out_idle);
    if (auto ec = co_await write_body_part(out, head, nullptr, 0, chunked, false)) {
      co_return RelayResult{RelayStatus::kWriteFailed, ec};
    }
    head.clear();
  }
  std::uint64_t total = 0;
  for (;;) {
    std::size_t n = 0;
    if (!parser.is_done()) {
      parser.get().body().data = buf;
      parser.get().body().size = size;
      in.expires_after(in_idle);
      auto [ec, _] = co_await http::async_read_some(in, in_buffer, parser, kNoThrow);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return RelayResult{RelayStatus::kReadFailed, ec, total};
      n = size - parser.get().body().size;
      total += n;
      if (limit != 0 && total > limit) co_return RelayResult{RelayStatus::kTooLarge, {}, total};
    }
    const bool last = parser.is_done();
    if (n == 0 && !last) continue;
    // A compressor failure cuts the response short, as a failed write would.
    if (!encoder.write(buf, n, last, scratch))
      co_return RelayResult{RelayStatus::kWriteFailed, {}, total};
    out.expires_after(out_idle);
    if (auto ec =
            co_await write_body_part(out, head, scratch.data(), scratch.size(), chunked, last)) {
      co_return RelayResult{RelayStatus::kWriteFailed, ec, total};
    }
    head.clear();
    if (last) co_return RelayResult{RelayStatus::kOk, {}, total};
  }
}

}  // namespace wharf::dataplane::proxy
