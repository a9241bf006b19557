#include "dataplane/proxy/exchange.hpp"

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <tuple>

#include "dataplane/proxy/append.hpp"
#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/connect.hpp"
#include "dataplane/proxy/error_page.hpp"
#include "dataplane/proxy/response.hpp"
#include "dataplane/proxy/tunnel.hpp"
#include "dataplane/proxy/wire.hpp"
#include "dataplane/server/local_reply.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::proxy {
namespace {

using ms = std::chrono::milliseconds;
using server::LocalReason;
using Clock = std::chrono::steady_clock;

// How one attempt at the upstream ended.
enum class Outcome {
  kDone,        // A response (or a local reply) went to the client.
  kRetry,       // A reused keep-alive connection turned out closed before answering.
  kServerDown,  // The server failed before the request could have done anything there.
};

struct AttemptResult {
  Outcome outcome = Outcome::kDone;
  bool keep_alive = false;
  LocalReason reason = LocalReason::kUpstreamConnect;  // For kServerDown: the reply if no other.
};

// Methods a server may receive twice without harm (RFC 9110 section 9.2.2).
bool idempotent(http::verb v) {
  return v == http::verb::get || v == http::verb::head || v == http::verb::options ||
         v == http::verb::trace || v == http::verb::put || v == http::verb::delete_;
}

bool is_connection_lost(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

// The upstream request head: the client's head (moved, not copied: its fields are not needed
// again) minus hop-by-hop fields, plus forwarding headers and our own framing.
http::request<http::empty_body> upstream_head(Exchange& x, RequestFacts& facts) {
  auto& req = x.request.get();
  facts.head = req.method() == http::verb::head;
  facts.version = req.version();
  // The parser noted an "upgrade" Connection option; only then is the field set searched.
  facts.upgrade = x.request.upgrade() && wants_upgrade(req);
  facts.idempotent = idempotent(req.method());
  if (x.policy.compress) {
    if (auto it = req.find(http::field::accept_encoding); it != req.end()) {
      facts.accept_encoding = std::string(it->value());
    }
  }
  if (!x.policy.errors.empty()) {
    facts.host = req[http::field::host];
    facts.accept = req[http::field::accept];
    facts.accept_language = req[http::field::accept_language];
    facts.url = x.target;
  }
  std::string upgrade = facts.upgrade ? std::string(req[http::field::upgrade]) : std::string();
  const bool chunked = x.request.chunked();  // The parser's flag: no field lookup.
  http::request<http::empty_body> up;
  up.base() = std::move(req.base());
  up.version(11);
  // The target is not set here: the head writer takes x.target, which may point into this
  // head's own start line (moved here, so still valid); setting it would copy the line.
  strip_hop_by_hop(up, /*trailers_follow=*/chunked);
  // After stripping: headers the client listed in Connection are gone, ours always stay.
  forwarded_headers(up, x.client_info, x.scheme, facts.forwarded);
  if (!x.request_id.empty()) {
    append(facts.forwarded, "X-Request-Id: ", x.request_id, "\r\n");
  }
  // We answer Expect: 100-continue ourselves once the upstream is connected (RFC 9110
  // section 10.1.1 lets a proxy do so), which spares the client a round trip to the upstream.
  // Found and removed in one pass comparing Beast's enum: a lookup by name, and another for
  // the erase, each walked the field set comparing names without case.
  for (auto it = up.begin(); it != up.end();) {
    if (it->name() != http::field::expect) {
      ++it;
      continue;
    }
    facts.expect_continue = facts.expect_continue || beast::iequals(it->value(), "100-continue");
    it = up.erase(it);
  }
  if (!x.service.pass_host_header) up.set(http::field::host, x.server->authority);
  if (facts.upgrade) {
    up.set(http::field::connection, "Upgrade");
    up.set(http::field::upgrade, upgrade);
  }
  if (chunked) {
    up.chunked(true);
  } else if (auto n = x.request.content_length()) {
    up.content_length(*n);
  }
  return up;
}

awaitable<AttemptResult> local(Exchange& x, const RequestFacts& facts, LocalReason reason,
                               std::string_view detail = {}) {
  // Method and version live outside the fields, so they survive the move in upstream_head.
  const auto& req = x.request.get();
  bool keep = client_may_keep(x);
  const bool head = req.method() == http::verb::head;
  const auto status = static_cast<unsigned>(server::status_for(reason));
  x.report.status = status;
  x.report.local = reason;
  // A page from an errors middleware replaces what the data plane would say about a server
  // that failed (502, 504), as in Traefik, whose proxy errors pass its middlewares too.
  const bool upstream_failure = reason == LocalReason::kUpstreamConnect ||
                                reason == LocalReason::kUpstreamProtocol ||
                                reason == LocalReason::kUpstreamTimeout;
  if (upstream_failure && !x.policy.errors.empty()) {
    PageQuery q{facts.host, facts.url, facts.accept, facts.accept_language};
    auto page = co_await find_error_page(x.policy, status, q, x.pool, x.client.get_executor());
    if (page) {
      x.report.status = page->status;
      x.report.local.reset();  // An errors middleware's page, not a reply of the data plane.
      auto ec = co_await server::write_middleware_reply(x.client, *page, x.response_ops,
                                                        req.version(), keep, head);
      co_return AttemptResult{Outcome::kDone, keep && !ec};
    }
  }
  auto ec = co_await server::write_local_reply(x.client, reason, req.version(), keep, head, detail);
  co_return AttemptResult{Outcome::kDone, keep && !ec};
}

// The 502 for an answer the server got wrong. The operator sees a 502 from the data plane for a
// server that did answer, so the log says what was wrong with it (as nginx's "upstream sent
// invalid header").
awaitable<AttemptResult> bad_answer(Exchange& x, const RequestFacts& facts, const std::string& url,
                                    std::string_view what) {
  log::warn("service " + x.service.name + ": " + url + " " + std::string(what));
  return local(x, facts, LocalReason::kUpstreamProtocol);
}

// Writes a 101 to the client and relays bytes both ways until the tunnel ends.
awaitable<AttemptResult> switch_protocols(Exchange& x, Stream& up, beast::flat_buffer& up_buffer,
                                          const http::response_header<>& head) {
  http::response<http::empty_body> res;
  res.base() = head;
  auto upgrade = std::string(head[http::field::upgrade]);
  strip_hop_by_hop(res);
  middleware::apply(x.response_ops, res.base());
  res.set(http::field::connection, "Upgrade");
  res.set(http::field::upgrade, upgrade);
  x.client.expires_after(ms(x.timeouts.body_idle_ms));
  x.report.status = 101;
  auto [ec, _] = co_await http::async_write(x.client, res, kNoThrow);
  if (ec) co_return AttemptResult{};
  x.client.expires_never();
  up.expires_never();
  x.tunnels->Increment();
  co_await run_tunnel(x.client, x.client_buffer, up, up_buffer,
                      ms(x.service.timeouts.tunnel_idle_ms));
  x.tunnels->Decrement();
  co_return AttemptResult{};
}

awaitable<AttemptResult> attempt(Exchange& x, const http::request<http::empty_body>& up_req,
                                 const RequestFacts& req, bool may_retry) {
  const auto& to = x.service.timeouts;
  const bool has_body = !x.request.is_done();
  const auto& server = *x.server;
  routing::ServerState::InFlight busy(*server.state);
  const auto started = Clock::now();

  // The retry after a dead pooled connection opens a fresh one: the other idle connections to
  // that server are likely dead too (it restarted), and only a fresh connection tells a
  // server that is gone apart from a stale one.
  Connection conn;
  if (may_retry) conn = {take_pooled(x.pool, server), true, {}};
  if (!conn.stream) {
    conn = co_await connect(x.pool, x.client.get_executor(), server, ms(to.connect_ms), false);
  }
  if (!conn.stream) {
    log::warn("service " + x.service.name + ": connect to " + server.url +
              " failed: " + conn.ec.message());
    ++(conn.ec == beast::error::timeout ? x.report.timeouts : x.report.connect_errors);
    // Nothing was sent, so any request may go to another server.
    co_return AttemptResult{Outcome::kServerDown, false,
                            conn.ec == beast::error::timeout ? LocalReason::kUpstreamTimeout
                                                             : LocalReason::kUpstreamConnect};
  }
  auto& up = conn.stream;
  const bool reused = conn.reused;
  bool retryable = may_retry && reused && !has_body;
  // A fresh connection dropped before any answer: the server went away. Another server may
  // get the request when repeating it cannot hurt.
  const bool movable = !has_body && req.idempotent && !req.upgrade;

  std::string& wire = x.head_buffer;
  write_head(up_req.base(), x.target, wire, req.forwarded);
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
    if (ec && retryable) co_return AttemptResult{Outcome::kRetry};
    // The head did not go out, and the body (if any) is still unread: nothing was done.
    if (ec) co_return AttemptResult{Outcome::kServerDown};
    wire.clear();
  }
  if (has_body) {
    if (req.expect_continue && req.version >= 11) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      x.client.expires_after(ms(x.timeouts.body_idle_ms));
      auto [cec, n] = co_await asio::async_write(x.client, asio::buffer(kContinue), kNoThrow);
      if (cec) co_return AttemptResult{};
    }
    // A Content-Length body bypasses the parser: read straight into the relay buffer (the
    // parser would copy each byte once more), in pieces of kRequestBodyRead.
    auto r = co_await relay_body(x.client, x.client_buffer, x.request, ms(x.timeouts.body_idle_ms),
                                 *up, wire, up_req.chunked(), ms(to.body_idle_ms), x.relay_buffer,
                                 x.policy.max_request_body, kRequestBodyRead);
    x.report.request_bytes = r.bytes;
    request_sent = r.status == RelayStatus::kOk;
    x.request_body_relayed = request_sent;
    if (r.status == RelayStatus::kTooLarge) {
      // The upstream has part of a body it will never see the end of: that connection is
      // dropped, and the client, whose body is still coming, gets 413 and a close.
      co_return co_await local(x, req, LocalReason::kRequestTooLarge);
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
        co_return co_await local(x, req, LocalReason::kBadRequest, why);
      }
      co_return AttemptResult{};
    }
    // On a write failure the upstream may still have answered early (a 413, say): read on.
  }

  // The response head; interim 1xx responses are relayed (except 100, which the client got
  // from us already) and the real one read after them.
  beast::flat_buffer& up_buffer = x.upstream_buffer;
  up_buffer.consume(up_buffer.size());
  std::optional<ResponseParser> rp;
  // Without middlewares acting on the response, a plain head is relayed as received.
  PlainResponse plain;
  const bool plain_ok = plain_response_allowed(x, req);
  for (;;) {
    rp.emplace();
    rp->header_limit(kMaxResponseHead);
    rp->body_limit(boost::none);
    check_chunk_extensions(*rp);
    if (req.head) rp->skip(true);
    up->expires_after(ms(to.response_header_ms));
    const error_code ec =
        co_await read_response_head(*up, up_buffer, *rp, plain_ok ? &plain : nullptr);
    x.report.upstream_time = Clock::now() - started;
    if (ec && up->timed_out()) {
      ++x.report.timeouts;
      // With a retry middleware, a request that can be repeated safely goes to another try;
      // without one it gets 504 (a slow server is often a busy one).
      if (x.policy.retry && movable) {
        co_return AttemptResult{Outcome::kServerDown, false, LocalReason::kUpstreamTimeout};
      }
      server.state->failed(Clock::now());
      x.report.upstream_failed = true;
      co_return co_await local(x, req, LocalReason::kUpstreamTimeout);
    }
    if (ec && retryable && up_buffer.size() == 0 && is_connection_lost(ec)) {
      co_return AttemptResult{Outcome::kRetry};
    }
    if (ec && movable && !reused && up_buffer.size() == 0 && is_connection_lost(ec)) {
      co_return AttemptResult{Outcome::kServerDown};
    }
    if (ec) {
      x.report.upstream_failed = true;
      if (is_connection_lost(ec)) co_return co_await local(x, req, LocalReason::kUpstreamConnect);
      co_return co_await bad_answer(x, req, server.url,
                                    "sent a malformed response head: " + ec.message());
    }
    if (plain.size != 0) break;
    unsigned status = rp->get().result_int();
    if (status < 100) {
      // "099" parses as 99, which no client reads as a status (RFC 9110 section 15 allows
      // 100-599; Go's server, so Traefik, writes up to 999 and so does the data plane).
      x.report.upstream_failed = true;
      co_return co_await bad_answer(x, req, server.url,
                                    "sent status " + std::to_string(status) + ", below 100");
    }
    if (status >= 200 || status == 101) break;
    if (status != 100 && req.version >= 11) {
      http::response<http::empty_body> interim;
      interim.base() = rp->get().base();
      strip_hop_by_hop(interim);
      std::string text;
      write_head(interim.base(), text);  // Not Beast's writer: its reason for a bare 103.
      x.client.expires_after(ms(x.timeouts.body_idle_ms));
      auto [wec, n] = co_await asio::async_write(x.client, asio::buffer(text), kNoThrow);
      if (wec) co_return AttemptResult{};
    }
  }

  server.state->succeeded();
  ResponseOutcome out;
  if (plain.size != 0) {
    const RelayResult relayed = co_await relay_plain_response(x, *up, up_buffer, plain, req);
    x.report.response_bytes = relayed.bytes;
    out = plain_response_outcome(x, plain, relayed, up_buffer);
  } else {
    const auto& head = rp->get();
    if (head.result() == http::status::switching_protocols) {
      if (!req.upgrade) {
        co_return co_await bad_answer(x, req, server.url,
                                      "switched protocols on a request that asked for no upgrade");
      }
      co_return co_await switch_protocols(x, *up, up_buffer, head.base());
    }
    if (!x.policy.errors.empty()) {
      // The page is fetched before anything is sent, so when it cannot be had the server's
      // own answer still goes out. The server's body is left unread: its connection is
      // dropped.
      PageQuery q{req.host, req.url, req.accept, req.accept_language};
      auto page =
          co_await find_error_page(x.policy, head.result_int(), q, x.pool, x.client.get_executor());
      if (page) {
        x.report.status = page->status;
        bool keep = client_may_keep(x);
        auto ec = co_await server::write_middleware_reply(x.client, *page, x.response_ops,
                                                          req.version, keep, req.head);
        co_return AttemptResult{Outcome::kDone, keep && !ec};
      }
    }
    out = co_await relay_response(x, *up, up_buffer, *rp, req);
    if (out.reply) co_return co_await local(x, req, *out.reply);
  }
  if (out.upstream_reusable && request_sent) give_back(x.pool, server, std::move(up));
  co_return AttemptResult{Outcome::kDone, out.client_keep_alive};
}

// The pause before retry number `n` (1-based): the initial interval, doubling, at most 10 s.
ms retry_pause(const wharf::middleware::Retry& r, std::uint32_t n) {
  std::uint64_t pause = r.initial_interval_ms;
  for (std::uint32_t i = 1; i < n && pause < 10'000; ++i) pause *= 2;
  return ms(std::min<std::uint64_t>(pause, 10'000));
}

}  // namespace

awaitable<bool> forward(Exchange& x) {
  RequestFacts facts;
  auto up_req = upstream_head(x, facts);
  std::vector<const routing::CompiledServer*> failed;
  // One retry on the same server when a pooled connection was found closed before it carried
  // any byte of a response and the request had no body: the upstream never saw the request.
  bool may_retry = true;
  // Tries that ended with the server down; without a retry middleware, the request moves on
  // at once to each server not tried yet, up to kMaxServers.
  const auto* retry = x.policy.retry;
  std::uint32_t tries = 0;
  for (;;) {
    x.report.server = x.server;
    AttemptResult r{Outcome::kServerDown};
    if (x.server->resolve_error.empty()) {
      r = co_await attempt(x, up_req, facts, may_retry);
    } else {
      log::warn("service " + x.service.name + ": " + x.server->resolve_error);
    }
    if (r.outcome == Outcome::kDone) co_return r.keep_alive;
    if (r.outcome == Outcome::kRetry && may_retry) {
      may_retry = false;
      continue;
    }
    ++tries;
    x.server->state->failed(Clock::now());
    if (std::find(failed.begin(), failed.end(), x.server) == failed.end()) {
      failed.push_back(x.server);
    }
    std::string cookie;
    const routing::CompiledServer* next = nullptr;
    if (retry ? tries < retry->attempts : failed.size() < static_cast<std::size_t>(kMaxServers)) {
      next = x.service.pick({}, &cookie, failed);
      // Every server has failed once: a retry middleware tries them again after its pause
      // (a restarting container comes back), the failover alone gives up.
      if (!next && retry) next = x.service.pick({}, &cookie);
    }
    if (!next) {
      x.report.upstream_failed = true;
      co_return (co_await local(x, facts, r.reason)).keep_alive;
    }
    if (retry) {
      asio::steady_timer pause(x.client.get_executor(), retry_pause(*retry, tries));
      co_await pause.async_wait(kNoThrow);
    }
    x.server = next;
    may_retry = true;
    if (!x.service.pass_host_header) up_req.set(http::field::host, next->authority);
    if (!cookie.empty()) {
      // The client is now pinned to the server that answers, not the one that failed.
      std::erase_if(x.response_ops, [&](const middleware::HeaderOp& op) {
        return op.name == "Set-Cookie" && op.value.starts_with(x.service.sticky_name + "=");
      });
      x.response_ops.push_back({middleware::HeaderOp::Kind::kAppend, "Set-Cookie", cookie});
    }
  }
}

}  // namespace wharf::dataplane::proxy
