#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/io/stream.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <tuple>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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

// Not a coroutine: the relay's own frame is the only one (as relay_body).
awaitable<RelayResult> relay_encoded(Stream& in, beast::flat_buffer& in_buffer,
                                     http::response_parser<http::buffer_body>& parser,
                                     std::chrono::milliseconds in_idle, Stream& out,
                                     std::string& head, bool chunked,
                                     std::chrono::milliseconds out_idle, RelayBuffer& relay,
                                     Encoder& encoder, std::string& scratch, std::uint64_t limit) {
  return detail::relay_parsed(in, in_buffer, parser, in_idle, out, head, chunked, out_idle, relay,
                              limit, &encoder, &scratch);
}

}  // namespace wharf::dataplane::proxy
