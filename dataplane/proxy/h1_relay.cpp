#include "dataplane/proxy/h1_relay.hpp"
#include "dataplane/io/stream.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <optional>
#include <tuple>
#include "dataplane/codec/http2/client_pool.hpp"

#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/connect.hpp"
#include "dataplane/proxy/downstream.hpp"
#include "dataplane/proxy/error_page.hpp"
#include "dataplane/proxy/message_relay.hpp"
#include "dataplane/proxy/response.hpp"
#include "dataplane/proxy/tunnel.hpp"
#include "dataplane/proxy/wire.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::proxy {
namespace {

using ms = std::chrono::milliseconds;
using server::LocalReason;
using Clock = std::chrono::steady_clock;

bool is_connection_lost(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

AttemptResult failed(FailureSource source, bool reused = false) {
  return AttemptResult{false, false, {source, reused}};
}

// The client was answered, or is gone: nothing more to do either way.
AttemptResult done(bool keep_alive = false) {
  return AttemptResult{true, keep_alive, {}};
}

}  // namespace

H1Relay::H1Relay(ForwardContext& c, Stream& client_stream, beast::flat_buffer& buffer,
                 RequestParser& parser, RelayBuffer& relay, beast::flat_buffer& up_buffer,
                 std::string& heads, bool keep_alive)
    : ctx(c),
      client(client_stream),
      client_buffer(buffer),
      request(parser),
      relay_buffer(relay),
      upstream_buffer(up_buffer),
      head_buffer(heads),
      client_keep_alive(keep_alive),
      service(c.service),
      timeouts(c.timeouts),
      target(c.target),
      response_ops(c.response_ops),
      policy(c.policy),
      report(c.report) {
  ClientBody body;
  body.follows = !request.is_done();
  body.chunked = request.chunked();  // The parser's flags: no field lookup.
  if (auto n = request.content_length()) body.length = *n;
  body.may_upgrade = request.upgrade();
  make_upstream_request(ctx, request.get().base(), body, up_);
}

RetryFacts H1Relay::facts() const {
  RetryFacts f;
  f.idempotent = up_.facts.idempotent;
  f.has_body = !request.is_done();
  f.upgrade = up_.facts.upgrade;
  return f;
}

void H1Relay::retarget(const routing::CompiledServer& next) {
  set_upstream_host(ctx, next, up_);
}

awaitable<bool> H1Relay::give_up(LocalReason reason) {
  return answer_locally(ctx, reason, client_may_keep());
}

awaitable<AttemptResult> H1Relay::local(LocalReason reason, std::string_view detail) {
  const bool keep = co_await answer_locally(ctx, reason, client_may_keep(), detail);
  co_return done(keep);
}

awaitable<AttemptResult> H1Relay::attempt(bool may_retry_same) {
  // A server that speaks HTTP/2 gets the same request as messages; an upgrade (a websocket)
  // needs HTTP/1.1 on both sides.
  if (!(ctx.server->http2() && !up_.facts.upgrade)) {
    auto r = co_await attempt_h1(may_retry_same);
    if (r) co_return *r;
    // The TLS handshake chose h2: that connection now serves the request over HTTP/2.
  }
  MessageRelay relay(ctx, up_);
  co_return co_await relay.attempt(may_retry_same);
}

// The 502 for an answer the server got wrong. The operator sees a 502 from the data plane for a
// server that did answer, so the log says what was wrong with it (as nginx's "upstream sent
// invalid header"); the decision (no retry) is decide_retry's.
awaitable<AttemptResult> H1Relay::bad_answer(std::string_view what) {
  log::warn("service " + service.name + ": " + ctx.server->url + " " + std::string(what));
  co_return failed(FailureSource::kProtocol);
}

// Writes a 101 to the client and relays bytes both ways until the tunnel ends.
awaitable<AttemptResult> H1Relay::switch_protocols(Stream& up, beast::flat_buffer& up_buffer,
                                                   const http::response_header<>& head) {
  http::response<http::empty_body> res;
  res.base() = head;
  auto upgrade = std::string(head[http::field::upgrade]);
  strip_hop_by_hop(res);
  middleware::apply(response_ops, res.base());
  res.set(http::field::connection, "Upgrade");
  res.set(http::field::upgrade, upgrade);
  client.expires_after(ms(timeouts.body_idle_ms));
  report.status = 101;
  auto [ec, _] = co_await http::async_write(client, res, kNoThrow);
  if (ec) co_return done();
  client.expires_never();
  up.expires_never();
  ctx.tunnels->Increment();
  co_await run_tunnel(client, client_buffer, up, up_buffer, ms(service.timeouts.tunnel_idle_ms));
  ctx.tunnels->Decrement();
  co_return done();
}

awaitable<std::optional<AttemptResult>> H1Relay::attempt_h1(bool may_retry) {
  const auto& req = up_.facts;
  const auto& up_req = up_.head;
  const auto& to = service.timeouts;
  const bool has_body = !request.is_done();
  const auto& server = *ctx.server;
  routing::ServerState::InFlight busy(*server.state);
  const auto started = Clock::now();

  // The retry after a dead pooled connection opens a fresh one: the other idle connections to
  // that server are likely dead too (it restarted), and only a fresh connection tells a
  // server that is gone apart from a stale one.
  Connection conn;
  if (may_retry) conn = {take_pooled(ctx.pool, server), true, {}};
  if (!conn.stream) {
    conn = co_await connect(ctx.pool, client.get_executor(), server, ms(to.connect_ms), false,
                            /*offer_h2=*/!req.upgrade);
  }
  if (conn.h2) {
    ctx.h2_pool.adopt(server, std::move(conn.stream));
    co_return std::nullopt;
  }
  if (!conn.stream) {
    log::warn("service " + service.name + ": connect to " + server.url +
              " failed: " + conn.ec.message());
    const bool timeout = conn.ec == beast::error::timeout;
    ++(timeout ? report.timeouts : report.connect_errors);
    co_return failed(timeout ? FailureSource::kConnectTimeout : FailureSource::kConnect);
  }
  auto& up = conn.stream;
  const bool reused = conn.reused;

  std::string& wire = head_buffer;
  write_head(up_req.base(), target, wire, req.forwarded);
  bool request_sent = !has_body;
  up->expires_after(ms(to.body_idle_ms));
  if (!has_body || req.expect_continue) {
    // The head alone: one buffer, written directly (write_body_part would add a coroutine),
    // at once when the socket takes it (write_now).
    std::array<asio::const_buffer, 1> only{asio::buffer(wire)};
    error_code ec;
    if (!write_now(*up, only, ec)) {
      std::tie(ec, std::ignore) = co_await asio::async_write(*up, only, whole_write, kNoThrow);
    }
    if (ec) co_return failed(FailureSource::kWrite, reused);
    wire.clear();
  }
  if (has_body) {
    if (req.expect_continue && req.version >= 11) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      client.expires_after(ms(timeouts.body_idle_ms));
      auto [cec, n] = co_await asio::async_write(client, asio::buffer(kContinue), kNoThrow);
      if (cec) co_return done();
    }
    // A Content-Length body bypasses the parser: read straight into the relay buffer (the
    // parser would copy each byte once more), in pieces of kRequestBodyRead.
    auto r = co_await relay_body(client, client_buffer, request, ms(timeouts.body_idle_ms), *up,
                                 wire, up_req.chunked(), ms(to.body_idle_ms), relay_buffer,
                                 policy.max_request_body, kRequestBodyRead);
    report.request_bytes = r.bytes;
    request_sent = r.status == RelayStatus::kOk;
    request_body_relayed = request_sent;
    if (r.status == RelayStatus::kTooLarge) {
      // The upstream has part of a body it will never see the end of: that connection is
      // dropped, and the client, whose body is still coming, gets 413 and a close.
      co_return co_await local(LocalReason::kRequestTooLarge);
    }
    if (r.status == RelayStatus::kReadFailed) {
      // The client stopped sending mid-body or sent a broken chunk: the request is incomplete,
      // so the upstream connection is dropped (it would wait for the rest forever).
      // A Content-Length body read around the parser ends in a plain end of file: the same
      // fault as Beast's partial_message, and answered the same way.
      if (r.ec == asio::error::eof) r.ec = http::error::partial_message;
      bool framing = r.ec.category() == http::make_error_code(http::error::bad_chunk).category();
      if (framing) {
        std::string why = r.ec.message();
        co_return co_await local(LocalReason::kBadRequest, why);
      }
      co_return done();
    }
    // On a write failure the upstream may still have answered early (a 413, say): read on.
  }

  // The response head; interim 1xx responses are relayed (except 100, which the client got
  // from us already) and the real one read after them.
  beast::flat_buffer& up_buffer = upstream_buffer;
  up_buffer.consume(up_buffer.size());
  std::optional<ResponseParser> rp;
  // Without middlewares acting on the response, a plain head is relayed as received.
  PlainResponse plain;
  const bool plain_ok = plain_response_allowed(*this, req);
  for (;;) {
    rp.emplace();
    rp->header_limit(kMaxResponseHead);
    rp->body_limit(boost::none);
    check_chunk_extensions(*rp);
    if (req.head) rp->skip(true);
    up->expires_after(ms(to.response_header_ms));
    const error_code ec =
        co_await read_response_head(*up, up_buffer, *rp, plain_ok ? &plain : nullptr);
    report.upstream_time = Clock::now() - started;
    if (ec && up->timed_out()) {
      ++report.timeouts;
      co_return failed(FailureSource::kResponseTimeout, reused);
    }
    if (ec && up_buffer.size() == 0 && is_connection_lost(ec)) {
      co_return failed(FailureSource::kConnectionLost, reused);
    }
    if (ec) {
      // Lost after part of an answer is a server that failed too, not a malformed answer.
      if (is_connection_lost(ec)) {
        report.upstream_failed = true;
        co_return co_await local(LocalReason::kUpstreamConnect);
      }
      co_return co_await bad_answer("sent a malformed response head: " + ec.message());
    }
    if (plain.size != 0) break;
    unsigned status = rp->get().result_int();
    if (status < 100) {
      // "099" parses as 99, which no client reads as a status (RFC 9110 section 15 allows
      // 100-599; Go's server, so Traefik, writes up to 999 and so does the data plane).
      co_return co_await bad_answer("sent status " + std::to_string(status) + ", below 100");
    }
    if (status >= 200 || status == 101) break;
    if (status != 100 && req.version >= 11) {
      http::response<http::empty_body> interim;
      interim.base() = rp->get().base();
      strip_hop_by_hop(interim);
      std::string text;
      write_head(interim.base(), text);  // Not Beast's writer: its reason for a bare 103.
      client.expires_after(ms(timeouts.body_idle_ms));
      auto [wec, n] = co_await asio::async_write(client, asio::buffer(text), kNoThrow);
      if (wec) co_return done();
    }
  }

  server.state->succeeded();
  ResponseOutcome out;
  if (plain.size != 0) {
    const RelayResult relayed = co_await relay_plain_response(*this, *up, up_buffer, plain, req);
    report.response_bytes = relayed.bytes;
    out = plain_response_outcome(*this, plain, relayed, up_buffer);
  } else {
    const auto& head = rp->get();
    if (head.result() == http::status::switching_protocols) {
      if (!req.upgrade) {
        co_return co_await bad_answer("switched protocols on a request that asked for no upgrade");
      }
      co_return co_await switch_protocols(*up, up_buffer, head.base());
    }
    if (!policy.errors.empty()) {
      // The page is fetched before anything is sent, so when it cannot be had the server's
      // own answer still goes out. The server's body is left unread: its connection is
      // dropped.
      auto page = co_await find_error_page(policy, head.result_int(), ctx.page, ctx.pool,
                                           client.get_executor());
      if (page) {
        report.status = page->status;
        const bool keep = co_await ctx.down.send_reply(*page, response_ops, client_may_keep());
        co_return done(keep);
      }
    }
    out = co_await relay_response(*this, *up, up_buffer, *rp, req);
    if (out.reply) co_return co_await local(*out.reply);
  }
  if (out.upstream_reusable && request_sent) give_back(ctx.pool, server, std::move(up));
  co_return done(out.client_keep_alive);
}

}  // namespace wharf::dataplane::proxy
