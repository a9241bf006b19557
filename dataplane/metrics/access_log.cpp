#include "dataplane/metrics/access_log.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "dataplane/metrics/metrics.hpp"
#include "log/log.hpp"
#include "text/percent.hpp"

namespace wharf::dataplane::metrics {
namespace {

// A parameter name as compared: percent-decoded, lower case.
std::string normalized_name(std::string_view s) {
  std::string out;
  text::form_decode(s, out);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// JSON string contents: quotes, backslashes and control characters escaped.
void json_escape(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

// Common log format fields: a quote or control character would let a client forge a line.
void clf_escape(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += static_cast<char>(c);
    }
  }
}

// Milliseconds with three decimals, without printf's locale and format parsing.
std::string number(double v) {
  auto micros = static_cast<std::uint64_t>(v * 1000 + 0.5);
  std::string out = std::to_string(micros / 1000);
  char frac[4] = {static_cast<char>('0' + micros / 100 % 10),
                  static_cast<char>('0' + micros / 10 % 10), static_cast<char>('0' + micros % 10),
                  0};
  return out + "." + frac;
}

// The second-resolution part of a line's time, formatted once per second per thread: every
// line of a busy second shares it (gmtime and strftime cost more than the rest of a line).
struct SecondCache {
  std::time_t second = -1;
  char iso[24];  // 2026-11-30T18:01:25
  char clf[32];  // 30/Nov/2026:18:01:25 +0000
};
const SecondCache& second_of(std::time_t t) {
  thread_local SecondCache cache;
  if (cache.second != t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(cache.iso, sizeof cache.iso, "%Y-%m-%dT%H:%M:%S", &tm);
    std::strftime(cache.clf, sizeof cache.clf, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    cache.second = t;
  }
  return cache;
}

}  // namespace

std::string redact_query(std::string_view target, const std::vector<std::string>& names) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  std::string_view fragment;
  if (auto hash = query.find('#'); hash != std::string_view::npos) {
    fragment = query.substr(hash);
    query = query.substr(0, hash);
  }
  bool first = true;
  while (true) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    auto eq = pair.find('=');
    std::string name = normalized_name(pair.substr(0, eq));
    bool secret = false;
    for (const auto& n : names) {
      if (name.size() == n.size() &&
          std::equal(name.begin(), name.end(), n.begin(), [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
          })) {
        secret = true;
        break;
      }
    }
    if (secret && eq != std::string_view::npos) {
      out += pair.substr(0, eq + 1);
      out += "REDACTED";
    } else {
      out += pair;
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  out += fragment;
  return out;
}

model::Result<std::unique_ptr<AccessLog>> AccessLog::open(const std::string& path, bool json,
                                                          std::vector<std::string> redact,
                                                          std::size_t max_queued,
                                                          Metrics* metrics) {
  int fd = 1;
  if (path != "stdout") {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return model::Error{"--access-log " + path + ": " + std::strerror(errno)};
  }
  return std::unique_ptr<AccessLog>(
      new AccessLog(path, fd, json, std::move(redact), max_queued, metrics));
}

AccessLog::AccessLog(std::string path, int fd, bool json, std::vector<std::string> redact,
                     std::size_t max_queued, Metrics* metrics)
    : path_(std::move(path)),
      fd_(fd),
      json_(json),
      redact_(std::move(redact)),
      max_queued_(max_queued),
      metrics_(metrics) {
  writer_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  writer_.join();
  if (fd_ != 1) ::close(fd_);
}

std::string AccessLog::format(const AccessEntry& e) const {
  const std::string target = redact_query(e.target, redact_);
  const std::string referer = redact_query(e.referer, redact_);
  const std::string_view proto = e.protocol;
  std::string out;
  out.reserve(256 + target.size() + e.user_agent.size());
  const auto& when = second_of(std::chrono::system_clock::to_time_t(e.time));
  if (json_) {
    auto ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count() %
        1000);
    const char frac[6] = {'.',
                          static_cast<char>('0' + ms / 100),
                          static_cast<char>('0' + ms / 10 % 10),
                          static_cast<char>('0' + ms % 10),
                          'Z',
                          0};
    auto field = [&](const char* name, std::string_view value) {
      out += out.empty() ? "{\"" : ",\"";
      out += name;
      out += "\":\"";
      json_escape(out, value);
      out += '"';
    };
    auto raw = [&](const char* name, const std::string& value) {
      out += ",\"";
      out += name;
      out += "\":";
      out += value;
    };
    field("time", std::string(when.iso) + frac);
    field("entrypoint", e.entrypoint);
    field("client", e.client);
    field("method", e.method);
    field("host", e.host);
    field("path", target);
    field("protocol", proto);
    raw("status", std::to_string(e.status));
    raw("bytes_in", std::to_string(e.bytes_in));
    raw("bytes_out", std::to_string(e.bytes_out));
    raw("duration_ms", number(e.duration_ms));
    if (e.upstream_ms >= 0) raw("upstream_ms", number(e.upstream_ms));
    field("router", e.router);
    field("service", e.service);
    field("upstream", e.upstream);
    field("user_agent", e.user_agent);
    field("referer", referer);
    field("request_id", e.request_id);
    raw("tls", e.tls ? "true" : "false");
    out += "}\n";
    return out;
  }
  // Traefik's common log format, with the request id where Traefik counts requests:
  // client - - [time] "METHOD path PROTO" status bytes "referer" "agent" id "router" "server" Nms
  clf_escape(out, e.client);
  out += " - - [";
  out += when.clf;
  out += "] \"";
  clf_escape(out, e.method);
  out += ' ';
  clf_escape(out, target);
  out += ' ';
  out += proto;
  out += "\" ";
  out += std::to_string(e.status);
  out += ' ';
  out += std::to_string(e.bytes_out);
  out += " \"";
  clf_escape(out, referer.empty() ? "-" : referer);
  out += "\" \"";
  clf_escape(out, e.user_agent.empty() ? "-" : e.user_agent);
  out += "\" ";
  clf_escape(out, e.request_id.empty() ? "-" : e.request_id);
  out += " \"";
  clf_escape(out, e.router.empty() ? "-" : e.router);
  out += "\" \"";
  clf_escape(out, e.upstream.empty() ? "-" : e.upstream);
  out += "\" ";
  out += std::to_string(static_cast<std::uint64_t>(e.duration_ms));
  out += "ms\n";
  return out;
}

void AccessLog::write(const AccessEntry& e) {
  std::string line = format(e);
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= max_queued_) {
      if (metrics_) metrics_->access_log_dropped();
      return;
    }
    queue_.push_back(std::move(line));
    // The writer is woken for a batch, not for every line: a wake-up is a system call and a
    // context switch, which per line cost a quarter of the throughput. Below the batch size it
    // writes on its own every kMaxDelay.
    if (queue_.size() != kWakeAt) return;
  }
  wake_.notify_one();
}

void AccessLog::reopen() {
  {
    std::lock_guard lock(mutex_);
    reopen_ = true;
  }
  wake_.notify_one();
}

void AccessLog::flush() {
  std::unique_lock lock(mutex_);
  flushing_ = true;
  wake_.notify_one();
  idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
  flushing_ = false;
}

void AccessLog::run() {
  // A log on a pipe whose reader went away must fail the write (EPIPE), not kill the process.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  std::deque<std::string> batch;
  std::string buffer;
  for (;;) {
    bool reopen = false;
    {
      std::unique_lock lock(mutex_);
      writing_ = false;
      idle_.notify_all();
      wake_.wait_for(lock, kMaxDelay, [this] {
        return stop_ || reopen_ || queue_.size() >= kWakeAt || (flushing_ && !queue_.empty());
      });
      if (queue_.empty() && !stop_ && !reopen_) continue;
      if (queue_.empty() && stop_) return;
      batch.swap(queue_);
      reopen = reopen_;
      reopen_ = false;
      writing_ = true;
    }
    if (reopen && fd_ != 1) {
      int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (fd < 0) {
        log::error("access log: cannot reopen " + path_ + ": " + std::strerror(errno) +
                   "; writing on to the old file");
      } else {
        ::close(fd_);
        fd_ = fd;
      }
    }
    buffer.clear();
    for (auto& line : batch) buffer += line;
    batch.clear();
    const char* p = buffer.data();
    std::size_t left = buffer.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        log::error("access log: write to " + path_ + " failed: " + std::strerror(errno));
        break;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
}

}  // namespace wharf::dataplane::metrics
