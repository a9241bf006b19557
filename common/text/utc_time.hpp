#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace wharf::text {

// "2026-12-07T21:30:00Z" (RFC 3339 in UTC, whole seconds), as APIs and certificate lists show
// times.
inline std::string utc_timestamp(const std::tm& utc) {
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

inline std::string utc_timestamp(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return utc_timestamp(tm);
}

}  // namespace wharf::text
