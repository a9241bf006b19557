#include "dataplane/proxy/exchange.hpp"

#include <boost/asio/write.hpp>
#include <optional>

#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/tunnel.hpp"
#include "dataplane/proxy/wire.hpp"
#include "dataplane/server/local_reply.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::proxy {
namespace {

using ms = std::chrono::milliseconds;
using server::LocalReason;
using ResponseParser = http::response_parser<http::buffer_body>;

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

// What the exchange still needs to know about the client's request once its fields have been
// moved into the upstream request.
struct RequestFacts {
  bool head = false;
  unsigned version = 11;
  bool expect_continue = false;
  bool upgrade = false;
  bool idempotent = false;
  std::string forwarded;  // X-Forwarded-* and X-Real-IP lines for the upstream head.
};

// The upstream request head: the client's head (moved, not copied: its fields are not needed
// again) minus hop-by-hop fields, plus forwarding headers and our own framing.
http::request<http::empty_body> upstream_head(Exchange& x, RequestFacts& facts) {
  auto& req = x.request.get();
  facts.head = req.method() == http::verb::head;
  facts.version = req.version();
  facts.expect_continue = beast::iequals(req[http::field::expect], "100-continue");
  facts.upgrade = wants_upgrade(req);
  facts.idempotent = idempotent(req.method());
  std::string upgrade = facts.upgrade ? std::string(req[http::field::upgrade]) : std::string();
  const bool chunked = req.chunked();
  http::request<http::empty_body> up;
  up.base() = std::move(req.base());
  up.version(11);
  up.target(x.target);
  strip_hop_by_hop(up);
  // After stripping: headers the client listed in Connection are gone, ours always stay.
  facts.forwarded = forwarded_headers(up, x.client_info, x.scheme);
  // We answer Expect: 100-continue ourselves once the upstream is connected (RFC 9110
  // section 10.1.1 lets a proxy do so), which spares the client a round trip to the upstream.
  up.erase(http::field::expect);
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

awaitable<AttemptResult> local(Exchange& x, LocalReason reason, std::string_view detail = {}) {
  // Method and version live outside the fields, so they survive the move in upstream_head.
  const auto& req = x.request.get();
  bool keep = x.client_keep_alive && !x.draining && x.request.is_done();
  auto ec = co_await server::write_local_reply(x.client, reason, req.version(), keep,
                                               req.method() == http::verb::head, detail);
  co_return AttemptResult{Outcome::kDone, keep && !ec};
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
  auto [ec, _] = co_await http::async_write(x.client, res, kNoThrow);
  if (ec) co_return AttemptResult{};
  x.client.expires_never();
  up.expires_never();
  co_await run_tunnel(x.client, x.client_buffer, up, up_buffer,
                      ms(x.service.timeouts.tunnel_idle_ms));
  co_return AttemptResult{};
}

awaitable<AttemptResult> attempt(Exchange& x, const http::request<http::empty_body>& up_req,
                                 const RequestFacts& req, bool may_retry) {
  const auto& to = x.service.timeouts;
  const bool has_body = !x.request.is_done();
  const auto& server = *x.server;
  routing::ServerState::InFlight busy(*server.state);

  // The retry after a dead pooled connection opens a fresh one: the other idle connections to
  // that server are likely dead too (it restarted), and only a fresh connection tells a
  // server that is gone apart from a stale one.
  auto up = may_retry ? x.pool.take(server.endpoint) : nullptr;
  const bool reused = up != nullptr;
  if (!up) {
    up = std::make_unique<Stream>(x.client.get_executor());
    up->expires_after(ms(to.connect_ms));
    auto [ec] = co_await up->async_connect(server.endpoint, kNoThrow);
    if (ec) {
      log::warn("service " + x.service.name + ": connect to " + server.url +
                " failed: " + ec.message());
      // Nothing was sent, so any request may go to another server.
      co_return AttemptResult{Outcome::kServerDown, false,
                              ec == beast::error::timeout ? LocalReason::kUpstreamTimeout
                                                          : LocalReason::kUpstreamConnect};
    }
    up->socket().set_option(tcp::no_delay(true), ec);
  }
  bool retryable = may_retry && reused && !has_body;
  // A fresh connection dropped before any answer: the server went away. Another server may
  // get the request when repeating it cannot hurt.
  const bool movable = !has_body && req.idempotent && !req.upgrade;

  std::string& wire = x.head_buffer;
  write_head(up_req.base(), wire, req.forwarded);
  bool request_sent = !has_body;
  up->expires_after(ms(to.body_idle_ms));
  if (!has_body || req.expect_continue) {
    auto ec = co_await write_body_part(*up, wire, nullptr, 0, false, false);
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
    auto r = co_await relay_body(x.client, x.client_buffer, x.request, ms(x.timeouts.body_idle_ms),
                                 *up, wire, up_req.chunked(), ms(to.body_idle_ms), x.relay_buffer);
    request_sent = r.status == RelayStatus::kOk;
    if (r.status == RelayStatus::kReadFailed) {
      // The client stopped sending mid-body or sent a broken chunk: the request is incomplete,
      // so the upstream connection is dropped (it would wait for the rest forever).
      bool framing = r.ec.category() == http::make_error_code(http::error::bad_chunk).category();
      if (framing) {
        std::string why = r.ec.message();
        co_return co_await local(x, LocalReason::kBadRequest, why);
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
  for (;;) {
    rp.emplace();
    rp->header_limit(64 * 1024);
    rp->body_limit(boost::none);
    if (req.head) rp->skip(true);
    up->expires_after(ms(to.response_header_ms));
    auto [ec, _] = co_await http::async_read_header(*up, up_buffer, *rp, kNoThrow);
    if (ec == beast::error::timeout) {
      server.state->failed(std::chrono::steady_clock::now());
      co_return co_await local(x, LocalReason::kUpstreamTimeout);
    }
    if (ec && retryable && up_buffer.size() == 0 && is_connection_lost(ec)) {
      co_return AttemptResult{Outcome::kRetry};
    }
    if (ec && movable && !reused && up_buffer.size() == 0 && is_connection_lost(ec)) {
      co_return AttemptResult{Outcome::kServerDown};
    }
    if (ec && is_connection_lost(ec)) co_return co_await local(x, LocalReason::kUpstreamConnect);
    if (ec) co_return co_await local(x, LocalReason::kUpstreamProtocol);
    unsigned status = rp->get().result_int();
    if (status < 100 || status >= 200 || status == 101) break;
    if (status != 100 && req.version >= 11) {
      http::response<http::empty_body> interim;
      interim.base() = rp->get().base();
      strip_hop_by_hop(interim);
      x.client.expires_after(ms(x.timeouts.body_idle_ms));
      auto [wec, n] = co_await http::async_write(x.client, interim, kNoThrow);
      if (wec) co_return AttemptResult{};
    }
  }

  server.state->succeeded();
  const auto& head = rp->get();
  if (head.result() == http::status::switching_protocols) {
    if (!req.upgrade) co_return co_await local(x, LocalReason::kUpstreamProtocol);
    co_return co_await switch_protocols(x, *up, up_buffer, head.base());
  }

  const bool upstream_keep_alive = head.keep_alive();
  const bool has_length = rp->content_length().has_value();
  http::response<http::empty_body> res;
  // The parser keeps its framing state apart from the fields, so the head can be moved out.
  res.base() = std::move(rp->get().base());
  strip_hop_by_hop(res);
  middleware::apply(x.response_ops, res.base());
  res.version(req.version >= 11 ? 11 : 10);
  const bool body_follows = !rp->is_done();
  bool keep = x.client_keep_alive && !x.draining && x.request.is_done();
  if (!has_length && body_follows) {
    // A close-delimited upstream body is re-framed as chunked for HTTP/1.1 clients so their
    // connection can stay open; HTTP/1.0 clients get it close-delimited.
    if (req.version >= 11) {
      res.chunked(true);
    } else {
      keep = false;
    }
  }
  res.keep_alive(keep);

  write_head(res.base(), wire);
  // Set by the body relay, which may bypass the parser (so rp->is_done() is not the answer).
  bool response_complete = !body_follows;
  x.client.expires_after(ms(x.timeouts.body_idle_ms));
  if (!body_follows) {
    if (co_await write_body_part(x.client, wire, nullptr, 0, false, false)) keep = false;
  } else {
    auto r = co_await relay_body(*up, up_buffer, *rp, ms(to.body_idle_ms), x.client, wire,
                                 res.chunked(), ms(x.timeouts.body_idle_ms), x.relay_buffer,
                                 /*bypass_parser=*/true);
    response_complete = r.status == RelayStatus::kOk;
    // The response head is out, so no local reply can follow; closing tells the client the
    // body is incomplete.
    if (r.status != RelayStatus::kOk) keep = false;
  }
  if (response_complete && upstream_keep_alive && request_sent && up_buffer.size() == 0) {
    x.pool.give(server.endpoint, std::move(up));
  }
  co_return AttemptResult{Outcome::kDone, keep};
}

}  // namespace

awaitable<bool> forward(Exchange& x) {
  RequestFacts facts;
  auto up_req = upstream_head(x, facts);
  std::vector<const routing::CompiledServer*> failed;
  // One retry on the same server when a pooled connection was found closed before it carried
  // any byte of a response and the request had no body: the upstream never saw the request.
  bool may_retry = true;
  for (;;) {
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
    x.server->state->failed(std::chrono::steady_clock::now());
    failed.push_back(x.server);
    std::string cookie;
    const routing::CompiledServer* next = nullptr;
    if (failed.size() < static_cast<std::size_t>(kMaxServers)) {
      next = x.service.pick({}, &cookie, failed);
    }
    if (!next) co_return (co_await local(x, r.reason)).keep_alive;
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
