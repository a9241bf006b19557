#pragma once

#include <time.h>

#include <chrono>

namespace wharf::dataplane {

// steady_clock's time, read from CLOCK_MONOTONIC_COARSE: the time of the kernel's last tick, on
// the same scale (both count CLOCK_MONOTONIC) and read without the timestamp counter, but
// behind steady_clock::now() by a tick or more (12 ms seen on a loaded VM). For ages counted in
// seconds that are read on every request (pooled connections, servers marked down); idle
// deadlines, which must never fire early, and reported durations keep steady_clock.
struct CoarseClock {
  static std::chrono::steady_clock::time_point now() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
  }
};

}  // namespace wharf::dataplane
