#include "dataplane/proxy/upstream_failure.hpp"

namespace wharf::dataplane::proxy {

using server::LocalReason;

LocalReason reply_for(FailureSource source) {
  switch (source) {
    case FailureSource::kConnectTimeout:
    case FailureSource::kResponseTimeout:
      return LocalReason::kUpstreamTimeout;
    case FailureSource::kProtocol:
      return LocalReason::kUpstreamProtocol;
    case FailureSource::kConnect:
    case FailureSource::kWrite:
    case FailureSource::kConnectionLost:
    case FailureSource::kRefused:
      break;
  }
  return LocalReason::kUpstreamConnect;
}

std::string_view failure_name(FailureSource source) {
  switch (source) {
    case FailureSource::kConnect:
      return "connect";
    case FailureSource::kConnectTimeout:
      return "connect_timeout";
    case FailureSource::kWrite:
      return "write";
    case FailureSource::kConnectionLost:
      return "connection_lost";
    case FailureSource::kResponseTimeout:
      return "response_timeout";
    case FailureSource::kRefused:
      return "refused_stream";
    case FailureSource::kProtocol:
      return "protocol";
  }
  return "unknown";
}

RetryDecision decide_retry(const UpstreamFailure& failure, const RetryFacts& facts) {
  const LocalReason reply = reply_for(failure.source);
  // Moving on marks the server failed; whether another try is left depends on the count.
  const auto next_server = [&]() -> RetryDecision {
    const std::uint32_t tries = facts.tries + 1;
    const std::uint32_t failed = facts.servers_failed + (facts.server_failed_before ? 0 : 1);
    const bool allowed =
        facts.retry_middleware ? tries < facts.retry_attempts : failed < kMaxServers;
    return {allowed ? RetryAction::kNextServer : RetryAction::kGiveUp, reply, true};
  };
  // The server cannot have seen this request: a pooled connection it had closed.
  const bool same_again = failure.reused && facts.may_retry_same && !facts.has_body;
  const bool movable = !facts.has_body && facts.idempotent && !facts.upgrade;
  switch (failure.source) {
    case FailureSource::kConnect:
    case FailureSource::kConnectTimeout:
      return next_server();
    case FailureSource::kWrite:
      // The head did not go out and the body (if any) was not read: nothing was done.
      if (same_again) return {RetryAction::kSameServer, reply, false};
      return next_server();
    case FailureSource::kRefused:
      if (facts.may_retry_same) return {RetryAction::kSameServer, reply, false};
      return next_server();
    case FailureSource::kConnectionLost:
      if (same_again) return {RetryAction::kSameServer, reply, false};
      if (movable && !failure.reused) return next_server();
      return {RetryAction::kGiveUp, reply, false};
    case FailureSource::kResponseTimeout:
      // A slow server is often a busy one: without a retry middleware the client gets 504.
      if (facts.retry_middleware && movable) return next_server();
      return {RetryAction::kGiveUp, reply, true};
    case FailureSource::kProtocol:
      return {RetryAction::kGiveUp, reply, false};
  }
  return {RetryAction::kGiveUp, reply, false};
}

}  // namespace wharf::dataplane::proxy
