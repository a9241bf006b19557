#include "dataplane/proxy/forward.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "dataplane/proxy/downstream.hpp"
#include "dataplane/proxy/error_page.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::proxy {
namespace {

using Clock = std::chrono::steady_clock;
using server::LocalReason;

// The pause before retry number `n` (1-based): the initial interval, doubling, at most 10 s.
std::chrono::milliseconds retry_pause(const wharf::middleware_config::Retry& r, std::uint32_t n) {
  std::uint64_t pause = r.initial_interval_ms;
  for (std::uint32_t i = 1; i < n && pause < 10'000; ++i) pause *= 2;
  return std::chrono::milliseconds(std::min<std::uint64_t>(pause, 10'000));
}

}  // namespace

awaitable<bool> Downstream::send_reply(const middleware::Reply& reply,
                                       const std::vector<middleware::HeaderOp>& ops,
                                       bool keep_alive) {
  if (!grpc_) co_return co_await write_reply(reply, ops, keep_alive);
  static const std::vector<middleware::HeaderOp> kNone;
  co_return co_await write_reply(server::grpc_reply(reply), kNone, keep_alive);
}

bool page_replaces(LocalReason reason) {
  return reason == LocalReason::kNoServer || reason == LocalReason::kUpstreamConnect ||
         reason == LocalReason::kUpstreamProtocol || reason == LocalReason::kUpstreamTimeout;
}

awaitable<bool> answer_locally(Downstream& down, const middleware::ExchangePolicy& policy,
                               const PageRequest& page, UpstreamPool& pool,
                               const std::vector<middleware::HeaderOp>& ops, ExchangeReport& report,
                               LocalReason reason, bool keep_alive, std::string_view detail) {
  const auto status = static_cast<unsigned>(server::status_for(reason));
  report.status = status;
  report.local = reason;
  if (page_replaces(reason) && !policy.errors.empty()) {
    auto executor = co_await asio::this_coro::executor;
    auto found = co_await find_error_page(policy, status, page, pool, executor);
    if (found) {
      report.status = found->status;
      report.local.reset();  // An errors middleware's page, not a reply of the data plane.
      co_return co_await down.send_reply(*found, ops, keep_alive);
    }
  }
  static const std::vector<middleware::HeaderOp> kNone;
  co_return co_await down.send_reply(server::local_reply(reason, detail), kNone, keep_alive);
}

awaitable<bool> forward(ForwardContext& ctx, Relay& relay) {
  std::vector<const routing::CompiledServer*> failed;
  bool may_retry_same = true;
  std::uint32_t tries = 0;
  const auto* retry = ctx.policy.retry;
  for (;;) {
    ctx.report.server = ctx.server;
    AttemptResult r{false, false, {FailureSource::kConnect, false}};
    if (ctx.server->resolve_error.empty()) {
      r = co_await relay.attempt(may_retry_same);
    } else {
      log::warn("service " + ctx.service.name + ": " + ctx.server->resolve_error);
    }
    if (r.done) co_return r.keep_alive;
    // The client went away: no other server gets a request nobody waits for.
    if (ctx.down.cancelled()) co_return false;

    RetryFacts facts = relay.facts();
    facts.retry_middleware = retry != nullptr;
    facts.retry_attempts = retry ? retry->attempts : 0;
    facts.may_retry_same = may_retry_same;
    facts.tries = tries;
    facts.servers_failed = static_cast<std::uint32_t>(failed.size());
    facts.server_failed_before =
        std::find(failed.begin(), failed.end(), ctx.server) != failed.end();
    const RetryDecision d = decide_retry(r.failure, facts);
    if (d.action == RetryAction::kSameServer) {
      may_retry_same = false;
      continue;
    }
    if (d.server_failed) {
      ctx.server->state->failed(Clock::now());
      if (!facts.server_failed_before) failed.push_back(ctx.server);
    }
    const routing::CompiledServer* next = nullptr;
    std::string cookie;
    if (d.action == RetryAction::kNextServer) {
      ++tries;
      next = ctx.service.pick({}, &cookie, failed);
      // Every server has failed once: a retry middleware tries them again after its pause
      // (a restarting container comes back), the failover alone gives up.
      if (!next && retry) next = ctx.service.pick({}, &cookie);
    }
    if (!next || next->unresolved) {  // Its share is a 500 of ours, not another try.
      ctx.report.upstream_failed = true;
      co_return co_await relay.give_up(d.reply);
    }
    if (retry) {
      asio::steady_timer pause(co_await asio::this_coro::executor, retry_pause(*retry, tries));
      co_await pause.async_wait(kNoThrow);
    }
    ctx.server = next;
    may_retry_same = true;
    relay.retarget(*next);
    if (!cookie.empty()) {
      // The client is now pinned to the server that answers, not the one that failed.
      std::erase_if(ctx.response_ops, [&](const middleware::HeaderOp& op) {
        return op.name == "Set-Cookie" && op.value.starts_with(ctx.service.sticky_name + "=");
      });
      ctx.response_ops.push_back({middleware::HeaderOp::Kind::kAppend, "Set-Cookie", cookie});
    }
  }
}

}  // namespace wharf::dataplane::proxy
