#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "middleware/breaker_expression.hpp"
#include "middleware/spec.hpp"

namespace wharf::dataplane::middleware {

// The state of one circuit breaker (Traefik's circuitBreaker), shared by every worker and kept
// across table swaps like a rate limit's buckets.
//
//   standby ──(expression true at a check)──► tripped: every request gets responseCode
//      ▲                                         │ after fallbackDuration
//      └──(recoveryDuration over)── recovering ◄─┘ a share of requests passes, rising
//                                       │          linearly from 0 to all over the duration
//                                       └──(expression true again)──► tripped
//
// The expression reads the last 10 seconds of requests that passed (1-second buckets): network
// errors, status codes and time to the response head. It is evaluated at most once per check
// period, by whichever request comes first; recovering starts from an empty window so that
// the failures that tripped the breaker do not trip it again.
class Breaker : public wharf::middleware_config::BreakerMetrics {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kStandby, kTripped, kRecovering };

  // `name` is the middleware's, for log lines.
  Breaker(std::string name, const wharf::middleware_config::CircuitBreaker& spec);

  // Whether a request may go to the service now; false: answer it with the response code.
  bool allow(Clock::time_point now);
  // What a request that was allowed came to: its status (as sent to the client), whether the
  // server failed at the network level (refused, reset, timed out), and the time it took
  // the server to answer.
  void record(Clock::time_point now, unsigned status, bool network_error, Clock::duration latency);
  State state() const;

  // BreakerMetrics, over the window; called with the lock held (from allow()).
  double network_error_ratio() const override;
  double response_code_ratio(int from, int to, int d_from, int d_to) const override;
  double latency_at_quantile_ms(double q) const override;

 private:
  static constexpr std::size_t kBuckets = 10;       // Seconds of history.
  static constexpr std::size_t kLatencySlots = 81;  // 0.1 ms × 2^(i/4): up to ~105 s.
  struct Bucket {
    std::int64_t second = -1;
    std::uint32_t total = 0, network_errors = 0;
    std::array<std::uint32_t, 500> codes{};  // Statuses 100-599.
    std::array<std::uint32_t, kLatencySlots> latency{};
  };

  Bucket& bucket_for(std::int64_t second);
  bool live(const Bucket& b) const { return b.second > now_second_ - std::int64_t(kBuckets); }
  void reset_window();

  std::string name_;
  wharf::middleware_config::CircuitBreaker spec_;
  mutable std::mutex mutex_;
  State state_ = State::kStandby;
  Clock::time_point until_{};       // End of tripped or recovering.
  Clock::time_point next_check_{};  // When the expression is next evaluated.
  std::uint64_t recover_seen_ = 0, recover_allowed_ = 0;
  std::int64_t now_second_ = 0;  // The window's newest second, for live().
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace wharf::dataplane::middleware
