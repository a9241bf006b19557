#pragma once

#include <chrono>

#include "dataplane/net.hpp"

namespace wharf::dataplane::proxy {

enum class RelayStatus { kOk, kReadFailed, kWriteFailed };

struct RelayResult {
  RelayStatus status = RelayStatus::kOk;
  error_code ec;
};

// Streams the rest of a message body from `in` (parsed by `parser`) to `out` (serialized by
// `sr` over `msg`, whose head may already be written) through one caller-owned buffer of
// `size` bytes: a 50 GB body costs the same memory as a 5 KB one. Data is forwarded as soon
// as it arrives (server-sent events and progress bars stay live). Each read and each write
// is bounded by its own idle timeout, so a slow but moving transfer never times out.
template <bool isRequest>
awaitable<RelayResult> relay_body(Stream& in, beast::flat_buffer& in_buffer,
                                  http::parser<isRequest, http::buffer_body>& parser,
                                  std::chrono::milliseconds in_idle, Stream& out,
                                  http::serializer<isRequest, http::buffer_body>& sr,
                                  http::message<isRequest, http::buffer_body>& msg,
                                  std::chrono::milliseconds out_idle, char* buf, std::size_t size) {
  // Beast sizes each socket read by the buffer's spare capacity (at least 512 bytes): without
  // this, a buffer sized for a request head would move a body in ~1 KiB reads.
  // A small body that is already buffered (the common case) needs no bigger buffer.
  auto remaining = parser.content_length_remaining();
  bool more_than_buffered = !remaining || *remaining > in_buffer.size();
  if (more_than_buffered && in_buffer.capacity() < size) in_buffer.reserve(size);
  while (!sr.is_done()) {
    if (!parser.is_done()) {
      parser.get().body().data = buf;
      parser.get().body().size = size;
      in.expires_after(in_idle);
      auto [ec, n] = co_await http::async_read_some(in, in_buffer, parser, kNoThrow);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return RelayResult{RelayStatus::kReadFailed, ec};
      msg.body().size = size - parser.get().body().size;
      // An empty buffer must be passed as nullptr: Beast would otherwise finish a chunked body
      // twice (one last-chunk for the empty buffer, another for the end).
      msg.body().data = msg.body().size ? buf : nullptr;
      msg.body().more = !parser.is_done();
      if (msg.body().size == 0 && msg.body().more) continue;
    } else {
      msg.body().data = nullptr;
      msg.body().size = 0;
      msg.body().more = false;
    }
    out.expires_after(out_idle);
    auto [ec, n] = co_await http::async_write(out, sr, kNoThrow);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return RelayResult{RelayStatus::kWriteFailed, ec};
  }
  co_return RelayResult{};
}

}  // namespace wharf::dataplane::proxy
