#include "dataplane/proxy/response.hpp"
#include "dataplane/io/stream.hpp"

#include <algorithm>
#include <boost/asio/write.hpp>
#include <cstring>

#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/encoder.hpp"
#include "dataplane/proxy/head_lines.hpp"
#include "dataplane/proxy/response_head.hpp"
#include "dataplane/proxy/wire.hpp"
#include "dataplane/server/local_reply.hpp"
#include "log/log.hpp"
#include "text/split_list.hpp"

namespace wharf::dataplane::proxy {
namespace {

using ms = std::chrono::milliseconds;

// The upstream's Connection went with the other hop-by-hop fields, so this hop's is one line
// of ours, and none where the version's default says it (RFC 9112 section 9.3); Beast's
// keep_alive(bool) would parse and rebuild the field.
std::string_view connection_line(unsigned version, bool keep) {
  if (version >= 11) return keep ? std::string_view() : "Connection: close\r\n";
  return keep ? "Connection: keep-alive\r\n" : std::string_view();
}

// A status line that ends right after its code ("HTTP/1.1 200" CRLF) gets back the space
// RFC 9112 section 4 puts before the (empty) reason phrase. Servers that leave it out are common
// enough that nginx, HAProxy and Go's client (so Traefik) all take the line; Beast's parser
// refuses it, and the plain parser hands what it does not know to Beast. One byte moves the
// rest of what is buffered along; the line is looked at once, when its first 13 bytes are in.
void restore_status_space(beast::flat_buffer& buffer) {
  auto* p = static_cast<char*>(buffer.data().data());
  const std::string_view line(p, 13);
  if (!line.starts_with("HTTP/1.") || line[8] != ' ' || (line[12] != '\r' && line[12] != '\n') ||
      !std::all_of(line.begin() + 9, line.begin() + 12,
                   [](char c) { return c >= '0' && c <= '9'; }))
    return;
  const std::size_t size = buffer.size();
  buffer.prepare(1);  // May move the bytes: p is read again below.
  p = static_cast<char*>(buffer.data().data());
  std::memmove(p + 13, p + 12, size - 12);
  p[12] = ' ';
  buffer.commit(1);
}

}  // namespace

awaitable<error_code> read_response_head(Stream& up, beast::flat_buffer& buffer, ResponseParser& rp,
                                         PlainResponse* plain) {
  // With `plain`, bytes stay in the buffer while the head may still turn out plain (Beast's
  // parser, too, parses nothing before the empty line has arrived): a plain head never meets
  // the parser, and any other goes to it whole. Each try parses from the start, so a head that
  // comes in many pieces goes to the parser after a few (a server trickling its head byte by
  // byte must not cost time quadratic in its length).
  int tries = 0;
  bool status_line_seen = false;
  HeadEnd head_end;
  for (;;) {
    if (!status_line_seen && buffer.size() >= 13) {
      // Its byte goes in after the first 12, which hold no LF when it acts: a head scan
      // (below) begun on fewer bytes stays valid.
      restore_status_space(buffer);
      status_line_seen = true;
    }
    if (plain && buffer.size() > 0) {
      const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
      const auto parsed = parse_plain_response(bytes, *plain);
      if (parsed == PlainParse::kPlain && plain->size <= kMaxResponseHead) co_return error_code{};
      // Not plain, too long for a head at all (the parser then says header_limit), or slow.
      if (parsed != PlainParse::kIncomplete || bytes.size() >= kMaxResponseHead || ++tries == 4) {
        plain->size = 0;
        plain = nullptr;
      }
    }
    if (!plain && buffer.size() > 0) {
      const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
      const std::size_t end = head_end.scan(bytes);
      if (end != 0 && head_end.bare_lf() != 0) {
        crlf_head(buffer, end, head_end.bare_lf());
        // The head has grown: should the parser still want more (a status line too short for
        // its fixed-width reads), the next look scans the rewritten head, which has no bare LF.
        head_end = HeadEnd{};
      }
      // A head over the limit goes to the parser too, which refuses it (header_limit).
      if (end != 0 || buffer.size() >= kMaxResponseHead) {
        error_code ec;
        buffer.consume(rp.put(buffer.data(), ec));
        if (ec == http::error::need_more) {
          // Read more below.
        } else if (ec || rp.is_header_done()) {
          co_return ec;  // Broken, or done.
        } else {
          head_end = HeadEnd{};  // Part of the head parsed; parse on from what is left.
          continue;
        }
      }
    }
    const std::size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return http::error::buffer_overflow;
    auto [ec, n] = co_await up.async_read_some(buffer.prepare(size), kNoThrow);
    buffer.commit(n);
    if (ec && !rp.got_some()) {
      // A head cut short: what did arrive goes to the parser, which tells what is wrong.
      plain = nullptr;
      if (buffer.size() > 0) {
        error_code pec;
        buffer.consume(rp.put(buffer.data(), pec));
        if (pec && pec != http::error::need_more) co_return pec;
      }
    }
    if (ec == asio::error::eof) {
      if (!rp.got_some()) co_return http::error::end_of_stream;
      rp.put_eof(ec);  // A head cut short: partial_message.
      co_return ec;
    }
    if (ec) co_return ec;
  }
}

awaitable<ResponseOutcome> relay_response(H1Relay& x, Stream& up, beast::flat_buffer& up_buffer,
                                          ResponseParser& rp, const RequestFacts& req) {
  // The parser's flags (Connection as parsed, and false for a close-delimited body), not the
  // message's keep_alive(), which parses the Connection field again.
  const bool upstream_keep_alive = rp.keep_alive();
  std::optional<std::uint64_t> length;
  if (auto cl = rp.content_length()) length = *cl;
  const bool body_follows = !rp.is_done();
  bool keep = x.client_may_keep();
  const std::uint64_t limit = x.policy.max_response_body;
  x.report.status = rp.get().result_int();
  if (auto coding = unsupported_coding(rp.get())) {
    // Transfer-Encoding is hop-by-hop and goes: passing the body on would hand the client
    // bytes still in a coding it was never told of (as nginx, a 502 instead).
    log::warn("service " + x.service.name + ": response in a transfer coding Wharf does not " +
              "decode: Transfer-Encoding: " + *coding);
    co_return ResponseOutcome{.reply = server::LocalReason::kUpstreamProtocol};
  }
  if (limit != 0 && body_follows && length && *length > limit) {
    // Traefik's buffering answers 500 for a response over maxResponseBodyBytes; the body is
    // left unread, so the upstream connection is not reused.
    log::warn("service " + x.service.name + ": response of " + std::to_string(*length) +
              " bytes is over the buffering limit of " + std::to_string(limit));
    co_return ResponseOutcome{.reply = server::LocalReason::kResponseTooLarge};
  }

  http::response<http::empty_body> res;
  // The parser keeps its framing state apart from the fields, so the head can be moved out.
  res.base() = std::move(rp.get().base());
  // A chunked body goes on chunked, trailers and all, to an HTTP/1.1 client (relay_parsed).
  std::unique_ptr<Encoder> encoder =
      shape_response(res.base(), x.ctx, req, length, body_follows,
                     rp.chunked() && body_follows && req.version >= 11);
  res.version(req.version >= 11 ? 11 : 10);
  if ((encoder || !length) && body_follows) {
    // A body whose length is not known ahead (close-delimited upstream, or compressed here) is
    // framed as chunked for HTTP/1.1 clients so their connection can stay open; HTTP/1.0
    // clients get it close-delimited.
    if (req.version >= 11) {
      res.chunked(true);
    } else {
      keep = false;
    }
  }
  // Only a middleware can have set a Connection field since the strip, and then Beast merges
  // our option into it.
  std::string_view connection;
  if (!x.response_ops.empty()) {
    res.keep_alive(keep);
  } else {
    connection = connection_line(res.version(), keep);
  }

  std::string& wire = x.head_buffer;
  write_head(res.base(), wire, connection);
  // Set by the body relay, which may bypass the parser (so rp.is_done() is not the answer).
  bool response_complete = !body_follows;
  x.client.expires_after(ms(x.timeouts.body_idle_ms));
  const auto up_idle = ms(x.service.timeouts.body_idle_ms);
  const auto client_idle = ms(x.timeouts.body_idle_ms);
  if (!body_follows) {
    if (co_await write_body_part(x.client, wire, nullptr, 0, false, false)) keep = false;
  } else {
    RelayResult r;
    if (encoder) {
      std::string scratch;
      r = co_await relay_encoded(up, up_buffer, rp, up_idle, x.client, wire, res.chunked(),
                                 client_idle, x.relay_buffer, *encoder, scratch, limit);
    } else {
      r = co_await relay_body(up, up_buffer, rp, up_idle, x.client, wire, res.chunked(),
                              client_idle, x.relay_buffer, limit);
    }
    x.report.response_bytes = r.bytes;
    response_complete = r.status == RelayStatus::kOk;
    if (r.status == RelayStatus::kTooLarge) {
      log::warn("service " + x.service.name + ": response body over the buffering limit of " +
                std::to_string(limit) + " bytes");
      // The head had not gone out yet: the client can still be told properly.
      if (!wire.empty()) co_return ResponseOutcome{.reply = server::LocalReason::kResponseTooLarge};
    }
    if (r.status == RelayStatus::kReadFailed && !wire.empty()) {
      // The body broke (a bad chunk, the server gone) before any of the response went out: the
      // client can still be told, as for a broken head, instead of seeing its connection end
      // without an answer. The upstream connection is not reused.
      log::warn("service " + x.service.name + ": broken response body: " + r.ec.message());
      co_return ResponseOutcome{.reply = server::LocalReason::kUpstreamProtocol};
    }
    // The response head is out, so no local reply can follow; closing tells the client the
    // body is incomplete.
    if (r.status != RelayStatus::kOk) keep = false;
  }
  co_return ResponseOutcome{keep,
                            response_complete && upstream_keep_alive && up_buffer.size() == 0};
}

awaitable<RelayResult> relay_plain_response(H1Relay& x, Stream& up, beast::flat_buffer& up_buffer,
                                            const PlainResponse& head, const RequestFacts& req) {
  x.report.status = head.status_code;
  write_head(head, req.version, x.head_buffer, connection_line(req.version, x.client_may_keep()));
  up_buffer.consume(head.size);  // The head's views are not read after this.
  const auto client_idle = ms(x.timeouts.body_idle_ms);
  x.client.expires_after(client_idle);
  return relay_length(up, up_buffer, head.content_length, ms(x.service.timeouts.body_idle_ms),
                      x.client, x.head_buffer, client_idle, x.relay_buffer);
}

ResponseOutcome plain_response_outcome(const H1Relay& x, const PlainResponse& head,
                                       const RelayResult& relayed,
                                       const beast::flat_buffer& up_buffer) {
  // Once the head is out no local reply can follow; closing tells the client the body is
  // incomplete. Bytes beyond the body mean the upstream's framing cannot be trusted.
  const bool complete = relayed.status == RelayStatus::kOk;
  return {x.client_may_keep() && complete, complete && head.keep_alive && up_buffer.size() == 0};
}

}  // namespace wharf::dataplane::proxy
