// The retry and failover decision as a table: every failure source against the request's facts,
// no sockets. The relays (HTTP/1.1 and the message relay) only report failures; this is what
// they are worth.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/proxy/upstream_failure.hpp"

namespace wharf::dataplane::proxy {
namespace {

using server::LocalReason;
using A = RetryAction;
using S = FailureSource;

struct Case {
  std::string name;
  UpstreamFailure failure;
  RetryFacts facts;
  RetryDecision want;
};

RetryFacts get() {
  return {.idempotent = true, .has_body = false, .upgrade = false};
}
RetryFacts post() {
  return {.idempotent = false, .has_body = true, .upgrade = false};
}
template <typename F>
RetryFacts with(RetryFacts f, F change) {
  change(f);
  return f;
}

TEST(RetryDecision, EachFailureAndRequestGetsTheDecisionItsRuleSays) {
  const auto retry3 = [](RetryFacts& f) {
    f.retry_middleware = true;
    f.retry_attempts = 3;
  };
  const std::vector<Case> cases = {
      // Nothing reached the server: any request moves on, and the server counts as down.
      {"connect refused, GET",
       {S::kConnect},
       get(),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      {"connect refused, POST with a body",
       {S::kConnect},
       post(),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      {"connect timeout",
       {S::kConnectTimeout},
       post(),
       {A::kNextServer, LocalReason::kUpstreamTimeout, true}},
      {"third server refused: no fourth without a retry middleware",
       {S::kConnect},
       with(get(), [](RetryFacts& f) { f.servers_failed = 2; }),
       {A::kGiveUp, LocalReason::kUpstreamConnect, true}},
      {"a server failing twice is counted once",
       {S::kConnect},
       with(get(),
            [](RetryFacts& f) {
              f.servers_failed = 2;
              f.server_failed_before = true;
            }),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      {"retry middleware: attempts left",
       {S::kConnect},
       with(get(),
            [&](RetryFacts& f) {
              retry3(f);
              f.tries = 1;
              f.servers_failed = 5;
            }),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      {"retry middleware: attempts used up",
       {S::kConnect},
       with(get(),
            [&](RetryFacts& f) {
              retry3(f);
              f.tries = 2;
            }),
       {A::kGiveUp, LocalReason::kUpstreamConnect, true}},
      // The head could not be written on a pooled connection: once more on a fresh one.
      {"write failed on a pooled connection, GET",
       {S::kWrite, true},
       get(),
       {A::kSameServer, LocalReason::kUpstreamConnect, false}},
      {"write failed on a pooled connection, retry already used",
       {S::kWrite, true},
       with(get(), [](RetryFacts& f) { f.may_retry_same = false; }),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      {"write failed with a body: nothing was read, so it moves",
       {S::kWrite, true},
       post(),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      // Lost before any answer.
      {"lost on a pooled connection, GET: the server had closed it",
       {S::kConnectionLost, true},
       get(),
       {A::kSameServer, LocalReason::kUpstreamConnect, false}},
      {"lost on a fresh connection, GET: another server",
       {S::kConnectionLost, false},
       get(),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      {"lost on a fresh connection, POST: 502, it may have acted",
       {S::kConnectionLost, false},
       post(),
       {A::kGiveUp, LocalReason::kUpstreamConnect, false}},
      {"lost on a pooled connection, POST: 502",
       {S::kConnectionLost, true},
       post(),
       {A::kGiveUp, LocalReason::kUpstreamConnect, false}},
      {"lost on a fresh connection, DELETE without a body: idempotent, moves",
       {S::kConnectionLost, false},
       with(post(),
            [](RetryFacts& f) {
              f.has_body = false;
              f.idempotent = true;
            }),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      {"lost on a fresh connection, websocket upgrade: 502",
       {S::kConnectionLost, false},
       with(get(), [](RetryFacts& f) { f.upgrade = true; }),
       {A::kGiveUp, LocalReason::kUpstreamConnect, false}},
      // No response head in time.
      {"response timeout: 504 and the server is marked",
       {S::kResponseTimeout},
       get(),
       {A::kGiveUp, LocalReason::kUpstreamTimeout, true}},
      {"response timeout with a retry middleware, GET: another try",
       {S::kResponseTimeout},
       with(get(), retry3),
       {A::kNextServer, LocalReason::kUpstreamTimeout, true}},
      {"response timeout with a retry middleware, POST: 504",
       {S::kResponseTimeout},
       with(post(), retry3),
       {A::kGiveUp, LocalReason::kUpstreamTimeout, true}},
      // HTTP/2: a refused stream was not processed (RFC 9113 section 8.7), whatever the method.
      {"refused stream, POST: again on a fresh connection",
       {S::kRefused, true},
       post(),
       {A::kSameServer, LocalReason::kUpstreamConnect, false}},
      {"refused stream twice: another server",
       {S::kRefused, false},
       with(post(), [](RetryFacts& f) { f.may_retry_same = false; }),
       {A::kNextServer, LocalReason::kUpstreamConnect, true}},
      // A malformed answer is the server's: 502, never repeated.
      {"malformed answer, GET",
       {S::kProtocol},
       get(),
       {A::kGiveUp, LocalReason::kUpstreamProtocol, false}},
      {"malformed answer with a retry middleware",
       {S::kProtocol},
       with(get(), retry3),
       {A::kGiveUp, LocalReason::kUpstreamProtocol, false}},
  };
  for (const auto& c : cases) {
    const auto got = decide_retry(c.failure, c.facts);
    EXPECT_EQ(got.action, c.want.action) << c.name;
    EXPECT_EQ(got.reply, c.want.reply) << c.name;
    EXPECT_EQ(got.server_failed, c.want.server_failed) << c.name;
  }
}

TEST(RetryDecision, EveryFailureSourceHasAReplyAndAName) {
  EXPECT_EQ(reply_for(S::kConnect), LocalReason::kUpstreamConnect);
  EXPECT_EQ(reply_for(S::kConnectTimeout), LocalReason::kUpstreamTimeout);
  EXPECT_EQ(reply_for(S::kResponseTimeout), LocalReason::kUpstreamTimeout);
  EXPECT_EQ(reply_for(S::kProtocol), LocalReason::kUpstreamProtocol);
  EXPECT_EQ(reply_for(S::kRefused), LocalReason::kUpstreamConnect);
  EXPECT_EQ(failure_name(S::kConnectionLost), "connection_lost");
  EXPECT_EQ(failure_name(S::kRefused), "refused_stream");
}

}  // namespace
}  // namespace wharf::dataplane::proxy
