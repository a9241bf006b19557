#include "dataplane/proxy/message_relay.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "dataplane/proxy/downstream.hpp"
#include "dataplane/proxy/error_page.hpp"
#include "dataplane/proxy/forwarded.hpp"
#include "dataplane/proxy/h1_upstream.hpp"
#include "dataplane/proxy/h2_upstream.hpp"
#include "dataplane/proxy/response_head.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::proxy {
namespace {

using server::LocalReason;
using Clock = std::chrono::steady_clock;

AttemptResult failed(const UpstreamFailure& f) {
  return AttemptResult{false, false, f};
}

AttemptResult done(bool keep_alive = false) {
  return AttemptResult{true, keep_alive, {}};
}

// The server's codec: HTTP/2 for h2c:// servers and https:// ones that chose h2 (but for an
// upgrade, which needs HTTP/1.1), else HTTP/1.1.
std::unique_ptr<Upstream> make_upstream(ForwardContext& ctx, bool upgrade) {
  if (ctx.server->http2() && !upgrade) return std::make_unique<H2Upstream>(ctx);
  return std::make_unique<H1Upstream>(ctx);
}

}  // namespace

// The request body's way upstream, beside the response's way back.
struct MessageRelay::Pump {
  explicit Pump(const asio::any_io_executor& ex) : wake(ex, Clock::time_point::max()) {}
  asio::steady_timer wake;  // Cancelled when the pump ends.
  bool running = false;
  bool finished = false;
  bool complete = false;       // The whole body (and its trailers) went upstream.
  bool client_failed = false;  // The client's body broke or stopped; `client_ec` says how.
  error_code client_ec;
  bool too_large = false;  // Over the buffering middleware's request limit.
  std::uint64_t bytes = 0;
};

namespace {

awaitable<void> pump_request(Upstream& up, Downstream& down, std::uint64_t limit,
                             MessageRelay::Pump& p);

}  // namespace

MessageRelay::MessageRelay(ForwardContext& ctx, UpstreamRequest& up) : ctx_(ctx), up_(up) {}

MessageRelay::~MessageRelay() = default;

RetryFacts MessageRelay::facts() const {
  RetryFacts f;
  f.idempotent = up_.facts.idempotent;
  f.has_body = up_.body_follows;
  f.upgrade = up_.facts.upgrade;
  return f;
}

void MessageRelay::retarget(const routing::CompiledServer& next) {
  set_upstream_host(ctx_, next, up_);
}

awaitable<bool> MessageRelay::give_up(LocalReason reason) {
  return answer_locally(ctx_, reason, ctx_.down.keep_alive_after());
}

awaitable<AttemptResult> MessageRelay::local(LocalReason reason, std::string_view detail) {
  const bool keep = co_await answer_locally(ctx_, reason, ctx_.down.keep_alive_after(), detail);
  co_return done(keep);
}

awaitable<AttemptResult> MessageRelay::attempt(bool may_retry_same) {
  const auto& server = *ctx_.server;
  routing::ServerState::InFlight busy(*server.state);
  const auto started = Clock::now();
  response_complete_ = false;
  auto up = make_upstream(ctx_, up_.facts.upgrade);
  auto opened = co_await up->open(up_, may_retry_same);
  if (!opened) {
    if (up->switched_to_h2()) {
      // The TLS handshake of a new connection chose h2: the request goes on it as a stream.
      up = std::make_unique<H2Upstream>(ctx_);
      opened = co_await up->open(up_, true);
    }
  }
  if (auto f = opened) {
    if (f->source == FailureSource::kConnect || f->source == FailureSource::kConnectTimeout) {
      ++(f->source == FailureSource::kConnectTimeout ? ctx_.report.timeouts
                                                     : ctx_.report.connect_errors);
    }
    co_return failed(*f);
  }
  // A client gone (its stream reset) stops the server's side now, not at its next write.
  ctx_.down.on_cancel([u = up.get()] { u->abort(); });
  Pump pump(co_await asio::this_coro::executor);
  if (up_.body_follows) {
    if (up_.facts.expect_continue) {
      // Answered by the data plane once the server is reached, as the HTTP/1.1 relay does.
      const error_code ec = co_await ctx_.down.send_continue();
      if (ec) {
        up->abort();
        co_return done();
      }
    }
    pump.running = true;
    asio::co_spawn(co_await asio::this_coro::executor,
                   pump_request(*up, ctx_.down, ctx_.policy.max_request_body, pump),
                   asio::detached);
  }
  const AttemptResult result = co_await relay_response(*up, pump, started);
  co_return co_await stop(*up, pump, result);
}

// Waits for the request pump to end (its coroutine holds references into this frame): a
// response that ended first makes the rest of the request body unwanted.
awaitable<AttemptResult> MessageRelay::stop(Upstream& up, Pump& pump, AttemptResult result) {
  ctx_.down.on_cancel({});
  if (ctx_.down.cancelled()) result = done();
  if (pump.running && !pump.finished) {
    ctx_.down.stop_request_body();
    up.abort();
  }
  while (pump.running && !pump.finished) {
    pump.wake.expires_at(Clock::time_point::max());
    co_await pump.wake.async_wait(kNoThrow);
  }
  up.finish(response_complete_ && (!pump.running || pump.complete));
  ctx_.report.request_bytes = pump.bytes;
  co_return result;
}

awaitable<AttemptResult> MessageRelay::relay_response(Upstream& up, Pump& pump,
                                                      Clock::time_point started) {
  const auto& server = *ctx_.server;
  http::response_header<> head;
  HeadRead hr;
  unsigned status = 0;
  for (;;) {
    hr = co_await up.read_head(head);
    ctx_.report.upstream_time = Clock::now() - started;
    // The client's side failed first: that is why the server's side stopped.
    if (pump.too_large) co_return co_await local(LocalReason::kRequestTooLarge);
    if (pump.client_failed) {
      const auto& ec = pump.client_ec;
      if (ec.category() == http::make_error_code(http::error::bad_chunk).category()) {
        std::string why = ec.message();
        co_return co_await local(LocalReason::kBadRequest, why);
      }
      co_return done();
    }
    if (hr.failure) {
      if (hr.failure->source == FailureSource::kResponseTimeout) ++ctx_.report.timeouts;
      co_return failed(*hr.failure);
    }
    status = head.result_int();
    if (status < 100 || status == 101) {
      // "099" is no status a client reads; 101 switches protocols only for an HTTP/1.1
      // upgrade, which this relay does not carry.
      log::warn("service " + ctx_.service.name + ": " + server.url + " answered with status " +
                std::to_string(status));
      co_return failed({FailureSource::kProtocol});
    }
    if (status >= 200) break;
    if (status == 100) continue;  // The client got ours, or waits for none.
    strip_hop_by_hop(head);
    const error_code ec = co_await ctx_.down.send_interim(head);
    if (ec) co_return done();
  }
  server.state->succeeded();
  ctx_.report.status = status;
  if (!ctx_.policy.errors.empty()) {
    auto page = co_await find_error_page(ctx_.policy, status, ctx_.page, ctx_.pool,
                                         co_await asio::this_coro::executor);
    if (page) {
      // The server's answer is left unread: its connection or stream is dropped.
      up.abort();
      ctx_.report.status = page->status;
      const bool keep =
          co_await ctx_.down.send_reply(*page, ctx_.response_ops, ctx_.down.keep_alive_after());
      co_return done(keep);
    }
  }
  const std::uint64_t limit = ctx_.policy.max_response_body;
  if (limit != 0 && hr.body.follows && hr.body.length && *hr.body.length > limit) {
    log::warn("service " + ctx_.service.name + ": response of " + std::to_string(*hr.body.length) +
              " bytes is over the buffering limit of " + std::to_string(limit));
    up.abort();
    co_return co_await local(LocalReason::kResponseTooLarge);
  }
  auto encoder = shape_response(head, ctx_, up_.facts, hr.body.length, hr.body.follows,
                                hr.body.trailers && !up_.facts.head);
  ResponseBody body = hr.body;
  if (up_.facts.head) body.follows = false;
  if (encoder) {
    body.length.reset();
    body.trailers = false;
  }
  {
    const error_code ec = co_await ctx_.down.send_head(head, body);
    if (ec) {
      up.abort();
      co_return done();
    }
  }
  if (!body.follows) {
    response_complete_ = true;
    co_return done(ctx_.down.keep_alive_after());
  }
  // Pieces of up to kPiece bytes; a body known to be smaller gets a buffer its size.
  const std::size_t piece_size = static_cast<std::size_t>(
      std::clamp<std::uint64_t>(hr.body.length.value_or(kPiece), 1, kPiece));
  if (!response_piece_ || response_piece_size_ < piece_size) {
    response_piece_ = std::make_unique<char[]>(piece_size);
    response_piece_size_ = piece_size;
  }
  char* buf = response_piece_.get();
  std::string scratch;
  std::uint64_t total = 0;
  for (;;) {
    const BodyPiece piece = co_await up.read_body(buf, response_piece_size_);
    if (piece.ec) {
      // The head is out: the client learns the body is cut short the way its protocol says.
      log::warn("service " + ctx_.service.name + ": broken response body from " + server.url +
                ": " + piece.ec.message());
      ctx_.down.abort();
      up.abort();
      ctx_.report.response_bytes = total;
      co_return done();
    }
    total += piece.n;
    if (limit != 0 && total > limit) {
      log::warn("service " + ctx_.service.name + ": response body over the buffering limit of " +
                std::to_string(limit) + " bytes");
      ctx_.down.abort();
      up.abort();
      ctx_.report.response_bytes = total;
      co_return done();
    }
    const char* data = buf;
    std::size_t n = piece.n;
    if (encoder) {
      if (!encoder->write(buf, piece.n, piece.last, scratch)) {
        ctx_.down.abort();
        up.abort();
        co_return done();
      }
      data = scratch.data();
      n = scratch.size();
    }
    http::fields* trailers = piece.last && !encoder ? up.trailers() : nullptr;
    if (trailers) strip_hop_by_hop(*trailers);
    const error_code ec = co_await ctx_.down.send_body(data, n, piece.last, trailers);
    if (ec) {
      up.abort();
      ctx_.report.response_bytes = total;
      co_return done();
    }
    if (piece.last) break;
  }
  ctx_.report.response_bytes = total;
  response_complete_ = true;
  co_return done(ctx_.down.keep_alive_after());
}

namespace {

awaitable<void> pump_request(Upstream& up, Downstream& down, std::uint64_t limit,
                             MessageRelay::Pump& p) {
  auto buf = std::make_unique<char[]>(MessageRelay::kPiece);
  for (;;) {
    const BodyPiece piece = co_await down.read_body(buf.get(), MessageRelay::kPiece);
    if (piece.ec) {
      p.client_failed = true;
      p.client_ec = piece.ec;
      up.abort();
      break;
    }
    p.bytes += piece.n;
    if (limit != 0 && p.bytes > limit) {
      p.too_large = true;
      up.abort();
      break;
    }
    http::fields* trailers = piece.last ? down.request_trailers() : nullptr;
    if (trailers) strip_hop_by_hop(*trailers);
    const error_code ec = co_await up.send_body(buf.get(), piece.n, piece.last, trailers);
    // A server that stopped taking the body may still answer (a 413, say): the response side
    // reads on.
    if (ec) break;
    if (piece.last) {
      p.complete = true;
      break;
    }
  }
  p.finished = true;
  p.wake.cancel();
}

}  // namespace

}  // namespace wharf::dataplane::proxy
