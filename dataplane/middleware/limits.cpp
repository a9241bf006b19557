#include <chrono>
#include <cmath>
#include <unordered_map>

#include "dataplane/middleware/builders.hpp"

// The middlewares that admit or refuse a request by who sends it: ipallowlist, ratelimit and
// inflightreq. Their state is shared by every worker and kept across table swaps.
namespace wharf::dataplane::middleware {
namespace {

using Clock = std::chrono::steady_clock;

class IpAllowList : public Middleware {
 public:
  explicit IpAllowList(const spec::IpAllowList& s) : s_(s) {}
  std::optional<Reply> handle(Request& req) const override {
    auto ip = client_address(s_.strategy, req);
    if (ip && model::any_contains(s_.ranges, *ip) != s_.deny) return std::nullopt;
    return Reply{s_.reject_status, {}, {}};
  }

 private:
  spec::IpAllowList s_;
};

// Token buckets per source: `rate` tokens per second up to `burst`; a request takes one. A
// bucket that would be full again is the same as no bucket, which is what keeps the map small.
class Buckets {
 public:
  Buckets(double rate, double burst) : rate_(rate), burst_(burst) {}

  // Zero when admitted, else how long until a token is there.
  Clock::duration take(const std::string& key) {
    auto now = Clock::now();
    std::lock_guard lock(mutex_);
    if (buckets_.size() >= kSweepAt) sweep(now);
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
    auto& b = it->second;
    if (!fresh) {
      double elapsed = std::chrono::duration<double>(now - b.at).count();
      b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return Clock::duration::zero();
    }
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>((1 - b.tokens) / rate_));
  }

 private:
  static constexpr std::size_t kSweepAt = 65'536;
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  void sweep(Clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      double elapsed = std::chrono::duration<double>(now - it->second.at).count();
      if (it->second.tokens + elapsed * rate_ >= burst_) {
        it = buckets_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const double rate_, burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

class RateLimit : public Middleware {
 public:
  RateLimit(const spec::RateLimit& s, std::shared_ptr<Buckets> buckets)
      : s_(s), buckets_(std::move(buckets)) {}

  // Refused requests get 429 and when to come back, in Retry-After (whole seconds, rounded
  // up, RFC 9110 section 10.2.3) and, as Traefik sends it, X-Retry-In.
  std::optional<Reply> handle(Request& req) const override {
    auto wait = buckets_->take(source_key(s_.source, req));
    if (wait == Clock::duration::zero()) return std::nullopt;
    double seconds = std::chrono::duration<double>(wait).count();
    Reply r{s_.reject_status, {}, {}};
    r.headers.emplace_back(
        "Retry-After", std::to_string(std::max<long long>(1, std::llround(std::ceil(seconds)))));
    r.headers.emplace_back("X-Retry-In",
                           std::to_string(static_cast<long long>(seconds * 1000)) + "ms");
    return r;
  }

 private:
  spec::RateLimit s_;
  std::shared_ptr<Buckets> buckets_;
};

class NoLimit : public Middleware {
 public:
  std::optional<Reply> handle(Request&) const override { return std::nullopt; }
};

// Requests in flight per source. A slot is held by the request (Request::holds) and given
// back when the session is done with it, whatever way the request ended.
class InFlightCounts : public std::enable_shared_from_this<InFlightCounts> {
 public:
  std::shared_ptr<void> acquire(const std::string& key, std::uint64_t limit) {
    std::lock_guard lock(mutex_);
    auto& n = counts_[key];
    if (n >= limit) return nullptr;
    ++n;
    auto self = shared_from_this();
    return std::shared_ptr<void>(self.get(), [self, key](void*) { self->release(key); });
  }

 private:
  void release(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(key);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
  }
  std::mutex mutex_;
  std::unordered_map<std::string, std::uint64_t> counts_;
};

class InFlight : public Middleware {
 public:
  InFlight(const spec::InFlightReq& s, std::shared_ptr<InFlightCounts> counts)
      : s_(s), counts_(std::move(counts)) {}
  std::optional<Reply> handle(Request& req) const override {
    auto slot = counts_->acquire(source_key(s_.source, req), s_.amount);
    if (!slot) return Reply{s_.reject_status, {}, {}};
    req.holds.push_back(std::move(slot));
    return std::nullopt;
  }

 private:
  spec::InFlightReq s_;
  std::shared_ptr<InFlightCounts> counts_;
};

}  // namespace

std::shared_ptr<const Middleware> make_ip_allow_list(const spec::IpAllowList& s) {
  return std::make_shared<IpAllowList>(s);
}

std::shared_ptr<const Middleware> make_rate_limit(const spec::RateLimit& s, const std::string& key,
                                                  StateRegistry& states) {
  if (s.average <= 0) return std::make_shared<NoLimit>();  // Traefik: average 0 is no limit.
  double rate = s.average * 1000.0 / static_cast<double>(s.period_ms);
  return std::make_shared<RateLimit>(s,
                                     states.get<Buckets>(key, rate, static_cast<double>(s.burst)));
}

std::shared_ptr<const Middleware> make_in_flight(const spec::InFlightReq& s, const std::string& key,
                                                 StateRegistry& states) {
  return std::make_shared<InFlight>(s, states.get<InFlightCounts>(key));
}

}  // namespace wharf::dataplane::middleware
