#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "model/result.hpp"

namespace wharf::dataplane::metrics {

class Metrics;

// What one access log line says about a request.
struct AccessEntry {
  std::chrono::system_clock::time_point time;  // When the request's head arrived.
  std::string_view entrypoint;
  std::string_view client;  // The address computed from --trusted-proxies.
  std::string_view method;
  std::string_view host;
  std::string_view target;  // As the client sent it; secret query values are redacted here.
  std::string_view protocol = "HTTP/1.1";  // "HTTP/1.0", "HTTP/1.1" or "HTTP/2.0".
  unsigned status = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  double duration_ms = 0;
  double upstream_ms = -1;  // Negative: no server was asked.
  std::string_view router, service, upstream;
  std::string_view user_agent, referer, request_id;
  bool tls = false;
};

// The target (or Referer) with the value of every query parameter named in `names` replaced
// by REDACTED. Names compare case-insensitively and after percent-decoding, so `API_KEY` and
// `api%5Fkey` are caught as well as `api_key`.
std::string redact_query(std::string_view target, const std::vector<std::string>& names);

// The access log: one line per request, JSON or Traefik's common log format, written by its
// own thread. Workers format the line and queue it; a full queue (the disk or the pipe behind
// stdout cannot keep up) drops the line and counts it rather than slow a request down.
// Authorization and Cookie are never among the fields; secret query values are redacted.
class AccessLog {
 public:
  // `path` is a file (appended to, created mode 0640) or "stdout"; `max_queued` lines wait
  // for the writer at most.
  static model::Result<std::unique_ptr<AccessLog>> open(const std::string& path, bool json,
                                                        std::vector<std::string> redact,
                                                        std::size_t max_queued, Metrics* metrics);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void write(const AccessEntry& e);  // Any worker thread.
  // SIGHUP (logrotate): the file is closed and opened again by the writer thread.
  void reopen();
  // Waits until everything queued so far is written (tests, shutdown).
  void flush();

  std::string format(const AccessEntry& e) const;

  // Lines reach the file within kMaxDelay, or sooner once kWakeAt are waiting.
  static constexpr std::size_t kWakeAt = 256;
  static constexpr std::chrono::milliseconds kMaxDelay{100};

 private:
  AccessLog(std::string path, int fd, bool json, std::vector<std::string> redact,
            std::size_t max_queued, Metrics* metrics);
  void run();

  std::string path_;
  int fd_;
  bool json_;
  std::vector<std::string> redact_;
  std::size_t max_queued_;
  Metrics* metrics_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<std::string> queue_;
  bool stop_ = false, reopen_ = false, writing_ = false, flushing_ = false;
  std::thread writer_;
};

}  // namespace wharf::dataplane::metrics
