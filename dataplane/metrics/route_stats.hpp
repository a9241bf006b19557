#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "dataplane/proxy/protocol.hpp"

namespace wharf::dataplane::metrics {

// Request methods as a bounded label: the common ones by name, anything else "other".
enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };
inline constexpr std::size_t kMethods = 8;
Method method_of(boost::beast::http::verb v);
std::string_view method_name(Method m);

// A router and its service as label values, interned: the same names always get the same id,
// for the life of the process, so counters survive table swaps that keep the router. Id 0 is
// "no router" (a 404). Called on the control thread when a table compiles.
std::uint32_t route_id(std::string_view router, std::string_view service);
std::pair<std::string, std::string> route_names(std::uint32_t id);

// One request as metrics count it.
struct RequestSample {
  std::uint8_t entrypoint = 0;  // Index into the data plane's entrypoints.
  std::uint32_t route = 0;
  Method method = Method::kGet;
  unsigned code = 0;
  double seconds = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  proxy::Protocol protocol = proxy::Protocol::kHttp11;  // The client's.
};

// What every worker counted, summed by label set at scrape time.
struct RouteTotals {
  struct Requests {
    std::uint64_t count = 0;
  };
  struct Timing {
    std::uint64_t count = 0;
    double sum = 0;
    std::vector<std::uint64_t> buckets;  // Not cumulative; one per upper bound, then +Inf.
    std::uint64_t bytes_in = 0, bytes_out = 0;
  };
  // (entrypoint, route, method, code, protocol) and (entrypoint, route, method).
  std::map<std::tuple<std::uint8_t, std::uint32_t, Method, unsigned, proxy::Protocol>, Requests>
      requests;
  std::map<std::tuple<std::uint8_t, std::uint32_t, Method>, Timing> timing;
};

// Request counters of one worker. Only the worker writes them (relaxed atomics on memory no
// other worker touches, so the hot path pays no contention); the scraper reads them from the
// control thread. The maps' structure changes only under `mutex_`, which the worker takes
// when a label set is new and the scraper while it reads; the worker's own lookups need no
// lock because it is the only writer.
class WorkerStats {
 public:
  explicit WorkerStats(std::vector<double> buckets) : bounds_(std::move(buckets)) {}

  void record(const RequestSample& s);                        // Worker thread.
  void collect(RouteTotals& out) const;                       // Any thread.
  void prune(const std::vector<std::uint32_t>& live_routes);  // Worker thread; sorted ids.

 private:
  struct Counter {
    std::atomic<std::uint64_t> value{0};
  };
  struct Timing {
    explicit Timing(std::size_t n) : buckets(new std::atomic<std::uint64_t>[n]()) {}
    std::atomic<std::uint64_t> count{0}, sum_ns{0}, bytes_in{0}, bytes_out{0};
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;
  };
  // Entrypoint 8 bits, route 36, protocol 2, method 3, code 12.
  static std::uint64_t key(std::uint8_t ep, std::uint32_t route, Method m, unsigned code,
                           proxy::Protocol p) {
    return (std::uint64_t{ep} << 56) | (std::uint64_t{route} << 20) |
           (std::uint64_t(static_cast<std::uint8_t>(p)) << 15) |
           (std::uint64_t(static_cast<std::uint8_t>(m)) << 12) | (code & 0xfff);
  }

  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Counter> requests_;
  std::unordered_map<std::uint64_t, Timing> timing_;  // Keyed with code 0.
};

}  // namespace wharf::dataplane::metrics
