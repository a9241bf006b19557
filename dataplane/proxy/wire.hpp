#pragma once

#include <algorithm>
#include <limits>
#include <span>
#include <string>

#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/plain_response.hpp"

namespace wharf::dataplane::proxy {

// HTTP/1.1 message heads written by hand into a reused string. Beast's serializer walks a
// layered buffer-sequence view per write and showed up as a third of the data plane's
// instructions per proxied request; a head is a few hundred bytes of text and needs none of
// that. Fields are written as received (Beast validated them on parse) in their order.
// `extra` is raw header lines (each ending in CRLF) appended after the fields. A request is
// written with `target`, not the head's own.
void write_head(const http::request_header<>& head, std::string_view target, std::string& out,
                std::string_view extra = {});
void write_head(const http::response_header<>& head, std::string& out, std::string_view extra = {});
// A plain response head (proxy/plain_response.hpp) in the client's `version` (10: HTTP/1.0,
// else HTTP/1.1): its kept lines as received, then `extra`.
void write_head(const PlainResponse& head, unsigned version, std::string& out,
                std::string_view extra = {});

// A completion condition for asio::async_write that hands the socket everything in as few
// calls as it takes. Asio's default gives it at most 64 KiB a call, so a 256 KiB piece of a
// body became four sendmsg calls, each ending in a short TCP segment (on loopback 65,536 bytes
// are a segment of 65,483 and one of 53) that the kernel sends at once and the receiver
// acknowledges at once: 16 % more packets for a 1 MiB response.
inline std::size_t whole_write(const error_code& ec, std::size_t) {
  return ec ? 0 : std::numeric_limits<std::size_t>::max();
}

// Writes what the socket takes at once, before any wait: true when nothing is left to write
// (all of `buffers` went out, or the write failed: `ec`); false when the socket is full (or the
// stream is TLS), with `buffers` advanced past what went out, for asio::async_write to finish.
// An Asio write completes through the io_context's queue even when the socket took every byte
// at once, so the coroutine resumed only after every other ready connection's handlers. For
// the last response on a connection that meant the client often read it and closed before the
// FIN followed: the client, not the proxy, then kept the closed connection (TIME-WAIT) and paid
// for it, on about one connection in ten at 64 connections. And every write paid that round
// trip through the queue.
inline bool write_now(Stream& out, std::span<asio::const_buffer> buffers, error_code& ec) {
  const std::size_t total = asio::buffer_size(buffers);
  std::size_t done = out.write_now(buffers.data(), buffers.size(), ec);
  if (ec || done == total) return true;
  for (auto& b : buffers) {
    const std::size_t k = std::min(done, b.size());
    b += k;
    done -= k;
  }
  return false;
}

// The end of a chunked body without trailer fields: the last chunk and the empty line.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// The end of a chunked body carrying `trailers` (RFC 9112 section 7.1.2), the trailer fields
// as received less the hop-by-hop ones (those strip_hop_by_hop removes from a head, the names
// the trailers' own Connection lists among them; the head's list is gone with the head);
// empty when none is left, for kLastChunk. `trailers` loses those. (Beast refuses framing
// fields among trailers: the body fails, and no last chunk is written.)
std::string last_chunk(http::fields& trailers);

// Writes `head` (may be empty) and `n` body bytes in one gather write, framed as a chunk when
// `chunked`; `last` ends the body (with `ending`, the last chunk and any trailer section, for
// chunked framing). Empty data with `last` false writes only the head.
awaitable<error_code> write_body_part(Stream& out, const std::string& head, const char* data,
                                      std::size_t n, bool chunked, bool last,
                                      std::string_view ending = kLastChunk);

}  // namespace wharf::dataplane::proxy
