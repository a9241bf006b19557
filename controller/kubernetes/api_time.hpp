#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace wharf::controller::kubernetes {

// The API's timestamp formats, in UTC: `Time` ("2026-11-24T05:06:07Z", Event timestamps) and
// `MicroTime` ("2026-11-24T05:06:07.123456Z", Lease renewTime/acquireTime).
inline std::string api_time(std::chrono::system_clock::time_point t, bool micro) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (micro) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
    n += static_cast<std::size_t>(
        std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(us)));
  }
  return std::string(buf, n) + "Z";
}

}  // namespace wharf::controller::kubernetes
