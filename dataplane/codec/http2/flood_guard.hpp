#pragma once

#include <chrono>
#include <cstdint>

namespace wharf::dataplane::codec::http2 {

// A token bucket for the frames a client can send without moving any request along and that
// still cost the server work: SETTINGS and PING (each wants an acknowledgement), PRIORITY,
// and DATA frames that are empty without ending their stream (the CVE-2019-9511..9518 class of
// HTTP/2 floods). A browser sends a handful per connection; `burst` allows any honest client
// plenty, and the bucket refills at `per_second`. Over it, the connection is told GOAWAY
// (ENHANCE_YOUR_CALM). Pure: tests feed it times.
class FloodGuard {
 public:
  using Clock = std::chrono::steady_clock;
  explicit FloodGuard(std::uint32_t burst = 1000, std::uint32_t per_second = 100)
      : burst_(burst), per_second_(per_second), tokens_(burst) {}

  // Counts one such frame at `now`; false when the client is over its allowance.
  bool take(Clock::time_point now) {
    if (last_ != Clock::time_point{}) {
      const auto elapsed = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min<double>(burst_, tokens_ + elapsed * per_second_);
    }
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  std::uint32_t burst_, per_second_;
  double tokens_;
  Clock::time_point last_{};
};

}  // namespace wharf::dataplane::codec::http2
