#pragma once

#include <boost/beast/core/read_size.hpp>
#include <chrono>
#include <string>

#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/encoder.hpp"
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
// does not stall behind one large write (the sizes tried are in docs/performance.md).
// Responses keep the whole relay buffer per read (a 1 MiB response in four reads).
inline constexpr std::size_t kRequestBodyRead = 16 * 1024;

// A response body passed through `encoder` (compress) on its way: parsed and read as a chunked
// body is, each piece compressed and flushed at once, written as chunks when `chunked`.
// `scratch` holds the compressed bytes between the read and the write.
awaitable<RelayResult> relay_encoded(Stream& in, beast::flat_buffer& in_buffer,
                                     http::response_parser<http::buffer_body>& parser,
                                     std::chrono::milliseconds in_idle, Stream& out,
                                     std::string& head, bool chunked,
                                     std::chrono::milliseconds out_idle, RelayBuffer& relay,
                                     Encoder& encoder, std::string& scratch, std::uint64_t limit);

// Beast takes any byte inside a quoted chunk-extension value, CR and LF included, where RFC
// 9112 section 7.1.1 allows only qdtext and quoted pairs: a line other parsers would end at
// that LF. Extensions are not passed on, but a body is refused the same whether such a line
// arrives whole or in pieces (where a bare LF is refused before Beast sees the line end).
inline void refuse_controls_in_extensions(std::uint64_t, std::string_view extensions,
                                          error_code& ec) {
  for (unsigned char c : extensions) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      ec = http::error::bad_chunk_extension;
      return;
    }
  }
}

// Sets that check on a parser; before its head is parsed (Beast's rule for the callback).
template <bool isRequest>
void check_chunk_extensions(http::parser<isRequest, http::buffer_body>& parser) {
  parser.on_chunk_header(refuse_controls_in_extensions);
}

namespace detail {

inline awaitable<RelayResult> relayed(RelayResult r) {
  co_return r;
}

// Parses what `in_buffer` already holds into the parser's body buffer, step after step: chunk
// headers, chunk data, the last chunk and trailers, until the body buffer is full, the
// buffered bytes run out (or end inside a chunk header), or the message is complete. Beast's
// async_read_some stops after each step (not eager) and completes through the io_context's
// queue even with the bytes at hand, so a chunk cost two resumptions; eager parsing through it
// would instead wait on the socket for the next chunk header while holding the data before
// it (an event stream's last event). Parse errors (a bad chunk size, a body over the limit)
// are returned.
template <bool isRequest>
error_code parse_buffered(beast::flat_buffer& in_buffer,
                          http::parser<isRequest, http::buffer_body>& parser) {
  while (!parser.is_done() && in_buffer.size() > 0) {
    error_code ec;
    const std::size_t used = parser.put(in_buffer.data(), ec);
    in_buffer.consume(used);
    if (ec == http::error::need_buffer || ec == http::error::need_more) return {};
    if (ec) return ec;
    if (used == 0) return {};
  }
  return {};
}

// Whether the unparsed bytes hold an LF after a byte other than CR. Asked only when they are a
// partial chunk header or trailer section (nothing of them parsed), where every line ends in
// CRLF (RFC 9112 section 7.1). The first byte is not judged: its CR may have been parsed.
inline bool has_bare_lf(const beast::flat_buffer& in_buffer) {
  const std::string_view bytes(static_cast<const char*>(in_buffer.data().data()), in_buffer.size());
  for (auto lf = bytes.find('\n', 1); lf != std::string_view::npos; lf = bytes.find('\n', lf + 1)) {
    if (bytes[lf - 1] != '\r') return true;
  }
  return false;
}

// Beast bounds trailers by its header limit but not a chunk-size line: one whose extensions
// never end would grow the connection's buffer for as long as the peer sends. A relay buffer's
// worth of unparsed bytes is refused.
inline constexpr std::size_t kMaxChunkHeader = RelayBuffer::size();

// What the relay passes on next: the body bytes that the buffered bytes give, parsed into
// `buf` (up to `size`), or, when they give none and the message is not done, `read`: the
// socket is to be read into `in_buffer` (which still holds any partial chunk header) and the
// parser asked again. Buffered bytes that cannot become a chunk header or trailer section
// (over kMaxChunkHeader, or a line ended by a bare LF, which Beast would hold waiting for a
// CRLF) are a bad chunk. Pure (no I/O), so tests and a fuzzer feed it bytes in any pieces.
struct Piece {
  error_code ec;
  std::size_t n = 0;
  bool read = false;
};
template <bool isRequest>
Piece next_piece(beast::flat_buffer& in_buffer, http::parser<isRequest, http::buffer_body>& parser,
                 char* buf, std::size_t size) {
  auto& body = parser.get().body();
  body.data = buf;
  body.size = size;
  if (auto ec = parse_buffered(in_buffer, parser)) return {ec};
  const std::size_t n = size - body.size;
  if (n > 0 || parser.is_done()) return {{}, n};
  if (in_buffer.size() >= kMaxChunkHeader || has_bare_lf(in_buffer)) {
    return {http::error::bad_chunk};
  }
  return {{}, 0, true};
}

// relay_body through the parser: each piece is all the buffer holds, else one socket read of
// up to the relay buffer's size. Not kRequestBodyRead's pieces: for a chunked 1 GiB upload,
// 16 KiB pieces cost the data plane 1,435-1,514 µs of CPU a MiB against 820-947 with 256 KiB,
// and the client and the server the same either way (1,787-1,895). With an `encoder`, each
// piece is written compressed (through `scratch`), the last one ending the compressed stream.
// A chunked body relayed chunked keeps its trailer fields (as Traefik, HAProxy and Caddy keep
// them; nginx drops them). Beast files them among the message's fields, so they are known
// from the head's only when the head was moved out of the parser first, as the exchange does;
// otherwise, and through an encoder (a digest or checksum in them would describe the bytes
// before compression), they are dropped.
template <bool isRequest>
awaitable<RelayResult> relay_parsed(Stream& in, beast::flat_buffer& in_buffer,
                                    http::parser<isRequest, http::buffer_body>& parser,
                                    std::chrono::milliseconds in_idle, Stream& out,
                                    std::string& head, bool chunked,
                                    std::chrono::milliseconds out_idle, RelayBuffer& relay,
                                    std::uint64_t limit, Encoder* encoder = nullptr,
                                    std::string* scratch = nullptr) {
  char* buf = relay.get();
  const std::size_t size = RelayBuffer::size();
  // Socket reads are sized by the buffer's spare capacity (at least 512 bytes), so a body
  // larger than what is buffered gets a buffer of relay size first; a small body that is
  // already buffered (the common case) needs nothing.
  auto remaining = parser.content_length_remaining();
  if ((!remaining || *remaining > in_buffer.size()) && in_buffer.capacity() < size) {
    in_buffer.reserve(size);
  }
  if (!head.empty() && in_buffer.size() == 0 && !parser.is_done()) {
    out.expires_after(out_idle);
    if (auto ec = co_await write_body_part(out, head, nullptr, 0, chunked, false)) {
      co_return RelayResult{RelayStatus::kWriteFailed, ec};
    }
    head.clear();
  }
  const bool pass_trailers =
      chunked && !encoder && parser.chunked() && parser.get().begin() == parser.get().end();
  std::uint64_t total = 0;
  for (;;) {
    const Piece piece = next_piece(in_buffer, parser, buf, size);
    if (piece.ec) co_return RelayResult{RelayStatus::kReadFailed, piece.ec, total};
    if (piece.read) {
      in.expires_after(in_idle);
      auto [ec, got] = co_await in.async_read_some(
          in_buffer.prepare(beast::read_size(in_buffer, size)), kNoThrow);
      in_buffer.commit(got);
      // As Beast reads: the end of the stream ends a body delimited by it, and is an error
      // (partial message) for any other.
      if (ec == asio::error::eof) {
        ec = {};
        parser.put_eof(ec);
      }
      if (ec) co_return RelayResult{RelayStatus::kReadFailed, ec, total};
      if (!parser.is_done()) continue;
    }
    const std::size_t n = piece.n;
    total += n;
    if (limit != 0 && total > limit) co_return RelayResult{RelayStatus::kTooLarge, {}, total};
    const bool last = parser.is_done();
    const char* data = buf;
    std::size_t length = n;
    if (encoder) {
      // A compressor failure cuts the response short, as a failed write would.
      if (!encoder->write(buf, n, last, *scratch)) {
        co_return RelayResult{RelayStatus::kWriteFailed, {}, total};
      }
      data = scratch->data();
      length = scratch->size();
    }
    std::string ending;
    if (last && pass_trailers) ending = last_chunk(parser.get());
    out.expires_after(out_idle);
    if (auto ec = co_await write_body_part(out, head, data, length, chunked, last,
                                           ending.empty() ? kLastChunk : ending)) {
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
