#pragma once

#include <chrono>
#include <string>

#include "dataplane/net.hpp"
#include "dataplane/proxy/relay_buffer.hpp"
#include "dataplane/proxy/wire.hpp"

namespace wharf::dataplane::proxy {

enum class RelayStatus { kOk, kReadFailed, kWriteFailed, kTooLarge };

struct RelayResult {
  RelayStatus status = RelayStatus::kOk;
  error_code ec;
  std::uint64_t bytes = 0;  // Body bytes read from `in` (and, but for kTooLarge, written).
};

// Streams the rest of a message body from `in` (parsed by `parser`) to `out` through the
// connection's relay buffer: a 50 GB body costs the same memory as a 5 KB one. `head`
// (the outgoing message head, possibly empty) goes out with the first body bytes, or alone at
// once when no body byte is buffered yet, so a streaming response's head is never held back.
// Data is forwarded as soon as it arrives (server-sent events and progress bars stay live),
// framed as chunks when `chunked`. Each read and each write has its own idle timeout, so a
// slow but moving transfer never times out.
// With a `limit` (non-zero), a body growing past it stops the relay with kTooLarge before the
// offending bytes are written (the buffering middleware).
// A body of known length read straight from the socket into `buf`, bypassing the parser (and
// its copy), at most `max_read` bytes a read, cut to whole TCP segments of `out` (see
// whole_write in wire.hpp); the parser is left unfinished, so callers track completion from
// the result.
awaitable<RelayResult> relay_length(Stream& in, beast::flat_buffer& in_buffer, std::uint64_t left,
                                    std::chrono::milliseconds in_idle, Stream& out,
                                    std::string& head, std::chrono::milliseconds out_idle,
                                    RelayBuffer& buf, std::size_t max_read = RelayBuffer::size());

// Request bodies move in pieces of this size, as nginx reads them by default
// (client_body_buffer_size): the upstream gets each piece at once and the client's sending
// does not stall behind one large write. In bench/ a 2 GiB upload went 0.90 of nginx's rate
// with 256 KiB reads, 0.96 with 64 KiB, 1.03 with 16 KiB, 0.88 with 8 KiB (and 256 KiB still
// lost once writes went out whole). Responses keep the whole relay buffer per read (a 1 MiB
// response in four reads).
inline constexpr std::size_t kRequestBodyRead = 16 * 1024;

class Encoder;

// A response body passed through `encoder` (compress) on its way: read as relay_body reads,
// each piece compressed and flushed at once, written as chunks when `chunked`. `scratch`
// holds the compressed bytes between the read and the write.
awaitable<RelayResult> relay_encoded(Stream& in, beast::flat_buffer& in_buffer,
                                     http::response_parser<http::buffer_body>& parser,
                                     std::chrono::milliseconds in_idle, Stream& out,
                                     std::string& head, bool chunked,
                                     std::chrono::milliseconds out_idle, RelayBuffer& relay,
                                     Encoder& encoder, std::string& scratch, std::uint64_t limit);

namespace detail {

inline awaitable<RelayResult> relayed(RelayResult r) {
  co_return r;
}

// relay_body through the parser.
template <bool isRequest>
awaitable<RelayResult> relay_parsed(Stream& in, beast::flat_buffer& in_buffer,
                                    http::parser<isRequest, http::buffer_body>& parser,
                                    std::chrono::milliseconds in_idle, Stream& out,
                                    std::string& head, bool chunked,
                                    std::chrono::milliseconds out_idle, RelayBuffer& relay,
                                    std::uint64_t limit) {
  char* buf = relay.get();
  const std::size_t size = RelayBuffer::size();
  // Beast sizes each socket read by the buffer's spare capacity (at least 512 bytes), so a
  // body larger than what is buffered gets a buffer of relay size first; a small body that is
  // already buffered (the common case) needs nothing.
  auto remaining = parser.content_length_remaining();
  bool more_than_buffered = !remaining || *remaining > in_buffer.size();
  if (more_than_buffered && in_buffer.capacity() < size) in_buffer.reserve(size);
  if (!head.empty() && in_buffer.size() == 0 && !parser.is_done()) {
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
    bool last = parser.is_done();
    if (n == 0 && !last && head.empty()) continue;
    out.expires_after(out_idle);
    if (auto ec = co_await write_body_part(out, head, buf, n, chunked, last)) {
      co_return RelayResult{RelayStatus::kWriteFailed, ec, total};
    }
    head.clear();
    if (last) co_return RelayResult{RelayStatus::kOk, {}, total};
  }
}

}  // namespace detail

// relay_body: a body with a length (not `chunked`) goes to relay_length, around the parser;
// a chunked one through the parser. Not a coroutine itself: it hands back the relay's own, so
// a request goes through one coroutine frame and resumption fewer. Everything passed by
// reference is the caller's and outlives its co_await.
template <bool isRequest>
awaitable<RelayResult> relay_body(Stream& in, beast::flat_buffer& in_buffer,
                                  http::parser<isRequest, http::buffer_body>& parser,
                                  std::chrono::milliseconds in_idle, Stream& out, std::string& head,
                                  bool chunked, std::chrono::milliseconds out_idle,
                                  RelayBuffer& relay, std::uint64_t limit = 0,
                                  std::size_t max_read = RelayBuffer::size()) {
  if (!chunked) {
    if (auto left = parser.content_length_remaining(); left && *left > 0) {
      if (limit != 0 && *left > limit) return detail::relayed({RelayStatus::kTooLarge, {}, 0});
      return relay_length(in, in_buffer, *left, in_idle, out, head, out_idle, relay, max_read);
    }
  }
  return detail::relay_parsed(in, in_buffer, parser, in_idle, out, head, chunked, out_idle, relay,
                              limit);
}

}  // namespace wharf::dataplane::proxy
