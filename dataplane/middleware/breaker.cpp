#include "dataplane/middleware/breaker.hpp"

#include <cmath>

#include "log/log.hpp"

namespace wharf::dataplane::middleware {
namespace {

using ms = std::chrono::milliseconds;

std::int64_t second_of(Breaker::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Latency slot i holds times up to 0.1 ms × 2^(i/4).
std::size_t latency_slot(Breaker::Clock::duration d, std::size_t slots) {
  double ms_ = std::chrono::duration<double, std::milli>(d).count();
  if (ms_ <= 0.1) return 0;
  auto i = static_cast<std::size_t>(std::ceil(4 * std::log2(ms_ / 0.1)));
  return std::min(i, slots - 1);
}

double slot_upper_ms(std::size_t i) {
  return 0.1 * std::exp2(static_cast<double>(i) / 4);
}

}  // namespace

Breaker::Breaker(std::string name, const wharf::middleware_config::CircuitBreaker& spec)
    : name_(std::move(name)), spec_(spec) {}

Breaker::State Breaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

Breaker::Bucket& Breaker::bucket_for(std::int64_t second) {
  auto& b = buckets_[static_cast<std::size_t>(second) % kBuckets];
  if (b.second != second) {
    b = Bucket{};
    b.second = second;
  }
  return b;
}

void Breaker::reset_window() {
  for (auto& b : buckets_) b.second = -1;
}

bool Breaker::allow(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  now_second_ = second_of(now);
  if (state_ == State::kTripped) {
    if (now < until_) return false;
    state_ = State::kRecovering;
    until_ = now + ms(spec_.recovery_ms);
    recover_seen_ = recover_allowed_ = 0;
    reset_window();
    log::info("circuit breaker " + name_ + ": recovering; traffic returns over " +
              std::to_string(spec_.recovery_ms) + " ms");
  }
  if (state_ == State::kRecovering && now >= until_) {
    state_ = State::kStandby;
    log::info("circuit breaker " + name_ + ": closed again");
  }
  if (now >= next_check_) {
    next_check_ = now + ms(spec_.check_period_ms);
    if (spec_.expression->evaluate(*this)) {
      state_ = State::kTripped;
      until_ = now + ms(spec_.fallback_ms);
      log::warn("circuit breaker " + name_ + ": tripped; answering " +
                std::to_string(spec_.response_code) + " for " + std::to_string(spec_.fallback_ms) +
                " ms");
      return false;
    }
  }
  if (state_ == State::kStandby) return true;
  // Recovering: let through the share of requests that has elapsed of the recovery, spread
  // evenly (every other request at half time) rather than in bursts.
  double total = static_cast<double>(spec_.recovery_ms);
  double left = std::chrono::duration<double, std::milli>(until_ - now).count();
  double share = std::clamp(1 - left / total, 0.0, 1.0);
  ++recover_seen_;
  if (static_cast<double>(recover_allowed_) < share * static_cast<double>(recover_seen_)) {
    ++recover_allowed_;
    return true;
  }
  return false;
}

void Breaker::record(Clock::time_point now, unsigned status, bool network_error,
                     Clock::duration latency) {
  std::lock_guard lock(mutex_);
  now_second_ = std::max(now_second_, second_of(now));
  auto& b = bucket_for(second_of(now));
  ++b.total;
  if (network_error) ++b.network_errors;
  if (status >= 100 && status <= 599) ++b.codes[status - 100];
  ++b.latency[latency_slot(latency, kLatencySlots)];
}

double Breaker::network_error_ratio() const {
  std::uint64_t total = 0, errors = 0;
  for (const auto& b : buckets_) {
    if (!live(b)) continue;
    total += b.total;
    errors += b.network_errors;
  }
  return total == 0 ? 0 : static_cast<double>(errors) / static_cast<double>(total);
}

double Breaker::response_code_ratio(int from, int to, int d_from, int d_to) const {
  std::uint64_t num = 0, den = 0;
  for (const auto& b : buckets_) {
    if (!live(b)) continue;
    for (int code = 100; code <= 599; ++code) {
      auto n = b.codes[static_cast<std::size_t>(code - 100)];
      if (code >= from && code < to) num += n;
      if (code >= d_from && code < d_to) den += n;
    }
  }
  return den == 0 ? 0 : static_cast<double>(num) / static_cast<double>(den);
}

double Breaker::latency_at_quantile_ms(double q) const {
  std::array<std::uint64_t, kLatencySlots> sum{};
  std::uint64_t total = 0;
  for (const auto& b : buckets_) {
    if (!live(b)) continue;
    for (std::size_t i = 0; i < kLatencySlots; ++i) sum[i] += b.latency[i];
    total += b.total;
  }
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q / 100 * static_cast<double>(total)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kLatencySlots; ++i) {
    seen += sum[i];
    if (seen >= rank && sum[i] > 0) return slot_upper_ms(i);
  }
  return slot_upper_ms(kLatencySlots - 1);
}

}  // namespace wharf::dataplane::middleware
