#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace wharf::dataplane::routing {

// Load and health of one upstream server as this data plane sees it, shared by every worker
// and kept across table swaps (a new table naming the same URL gets the same state).
//
// Passive health: a server whose connection attempts fail (refused, reset before any answer,
// timed out) kConsecutiveFailures times in a row is left out for kEjectFor; after that one
// request tries it again, and a single failure then ejects it again at once. Any success
// clears the count.
class ServerState {
 public:
  static constexpr std::uint32_t kConsecutiveFailures = 3;
  static constexpr std::chrono::seconds kEjectFor{10};

  bool available(std::chrono::steady_clock::time_point now) const {
    return healthy_.load(std::memory_order_relaxed) &&
           now.time_since_epoch().count() >= ejected_until_.load(std::memory_order_relaxed);
  }
  // Set by active health checks (HealthChecker); a server starts healthy.
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  void set_healthy(bool h) { healthy_.store(h, std::memory_order_relaxed); }
  void succeeded() { failures_.store(0, std::memory_order_relaxed); }
  void failed(std::chrono::steady_clock::time_point now) {
    if (failures_.fetch_add(1, std::memory_order_relaxed) + 1 >= kConsecutiveFailures) {
      ejected_until_.store((now + kEjectFor).time_since_epoch().count(), std::memory_order_relaxed);
    }
  }
  std::uint32_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  // An https:// server whose last TLS handshake chose h2 in ALPN: its requests go over HTTP/2
  // (codec/http2/client_pool.hpp), until a handshake chooses http/1.1 again.
  bool speaks_h2() const { return speaks_h2_.load(std::memory_order_relaxed); }
  void set_speaks_h2(bool on) { speaks_h2_.store(on, std::memory_order_relaxed); }

  // Counts a request in flight for as long as it lives (power-of-two-choices reads it).
  class InFlight {
   public:
    explicit InFlight(ServerState& s) : s_(&s) { s_->in_flight_.fetch_add(1); }
    ~InFlight() { s_->in_flight_.fetch_sub(1); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    ServerState* s_;
  };

 private:
  std::atomic<std::uint32_t> in_flight_{0};
  std::atomic<std::uint32_t> failures_{0};
  std::atomic<std::int64_t> ejected_until_{0};
  std::atomic<bool> healthy_{true};
  std::atomic<bool> speaks_h2_{false};
};

// The state of the server with this URL (created on first use; dropped when no table names it).
std::shared_ptr<ServerState> server_state(const std::string& url);

}  // namespace wharf::dataplane::routing
