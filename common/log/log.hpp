#pragma once

#include <string_view>

namespace wharf::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// One line per event on stderr, "time level message", written with a single write() so lines
// from different threads never interleave. Callers keep secrets out of messages.
void write(Level level, std::string_view message);
void set_min_level(Level level);

inline void debug(std::string_view m) {
  write(Level::kDebug, m);
}
inline void info(std::string_view m) {
  write(Level::kInfo, m);
}
inline void warn(std::string_view m) {
  write(Level::kWarn, m);
}
inline void error(std::string_view m) {
  write(Level::kError, m);
}

}  // namespace wharf::log
