#include "log/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

namespace wharf::log {
namespace {
std::atomic<Level> g_min{Level::kInfo};
}

void set_min_level(Level level) {
  g_min.store(level, std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
  if (level < g_min.load(std::memory_order_relaxed)) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line;
  line.reserve(message.size() + 48);
  line += stamp;
  line += '.';
  line += static_cast<char>('0' + ms.count() / 100);
  line += static_cast<char>('0' + ms.count() / 10 % 10);
  line += static_cast<char>('0' + ms.count() % 10);
  line += "Z ";
  line += kNames[static_cast<int>(level)];
  line += ' ';
  line += message;
  line += '\n';
  // A failed log write has nowhere to be reported; ignoring it is deliberate.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace wharf::log
