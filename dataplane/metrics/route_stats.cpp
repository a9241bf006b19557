#include "dataplane/metrics/route_stats.hpp"

#include <algorithm>

namespace wharf::dataplane::metrics {
namespace {

namespace http = boost::beast::http;

// Interned (router, service) names; id 0 is "no router".
struct Interner {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, std::uint32_t> ids{{{"", ""}, 0}};
  std::vector<std::pair<std::string, std::string>> names{{"", ""}};
};

Interner& interner() {
  static Interner i;
  return i;
}

}  // namespace

Method method_of(http::verb v) {
  switch (v) {
    case http::verb::get:
      return Method::kGet;
    case http::verb::head:
      return Method::kHead;
    case http::verb::post:
      return Method::kPost;
    case http::verb::put:
      return Method::kPut;
    case http::verb::delete_:
      return Method::kDelete;
    case http::verb::patch:
      return Method::kPatch;
    case http::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

std::string_view method_name(Method m) {
  static constexpr std::string_view kNames[kMethods] = {"GET",    "HEAD",  "POST",    "PUT",
                                                        "DELETE", "PATCH", "OPTIONS", "other"};
  return kNames[static_cast<std::size_t>(m)];
}

std::uint32_t route_id(std::string_view router, std::string_view service) {
  auto& in = interner();
  std::lock_guard lock(in.mutex);
  auto [it, added] = in.ids.try_emplace({std::string(router), std::string(service)},
                                        static_cast<std::uint32_t>(in.names.size()));
  if (added) in.names.push_back(it->first);
  return it->second;
}

std::pair<std::string, std::string> route_names(std::uint32_t id) {
  auto& in = interner();
  std::lock_guard lock(in.mutex);
  return id < in.names.size() ? in.names[id] : std::pair<std::string, std::string>{};
}

void WorkerStats::record(const RequestSample& s) {
  constexpr auto relaxed = std::memory_order_relaxed;
  const auto k = key(s.entrypoint, s.route, s.method, s.code, s.protocol);
  auto it = requests_.find(k);
  if (it == requests_.end()) {
    std::lock_guard lock(mutex_);
    it = requests_.try_emplace(k).first;
  }
  it->second.value.fetch_add(1, relaxed);
  const auto tk = key(s.entrypoint, s.route, s.method, 0, proxy::Protocol::kHttp10);
  auto t = timing_.find(tk);
  if (t == timing_.end()) {
    std::lock_guard lock(mutex_);
    t = timing_.try_emplace(tk, bounds_.size() + 1).first;
  }
  auto& timing = t->second;
  timing.count.fetch_add(1, relaxed);
  timing.sum_ns.fetch_add(static_cast<std::uint64_t>(s.seconds * 1e9), relaxed);
  timing.bytes_in.fetch_add(s.bytes_in, relaxed);
  timing.bytes_out.fetch_add(s.bytes_out, relaxed);
  auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), s.seconds) - bounds_.begin();
  timing.buckets[static_cast<std::size_t>(bucket)].fetch_add(1, relaxed);
}

void WorkerStats::collect(RouteTotals& out) const {
  constexpr auto relaxed = std::memory_order_relaxed;
  auto split = [](std::uint64_t k) {
    return std::tuple{static_cast<std::uint8_t>(k >> 56),
                      static_cast<std::uint32_t>((k >> 20) & 0xfffffffff),
                      static_cast<Method>((k >> 12) & 0x7), static_cast<unsigned>(k & 0xfff),
                      static_cast<proxy::Protocol>((k >> 15) & 0x3)};
  };
  std::lock_guard lock(mutex_);
  for (const auto& [k, c] : requests_) out.requests[split(k)].count += c.value.load(relaxed);
  for (const auto& [k, t] : timing_) {
    auto [ep, route, method, code, protocol] = split(k);
    auto& o = out.timing[{ep, route, method}];
    o.buckets.resize(bounds_.size() + 1);
    o.count += t.count.load(relaxed);
    o.sum += static_cast<double>(t.sum_ns.load(relaxed)) / 1e9;
    o.bytes_in += t.bytes_in.load(relaxed);
    o.bytes_out += t.bytes_out.load(relaxed);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) o.buckets[i] += t.buckets[i].load(relaxed);
  }
}

void WorkerStats::prune(const std::vector<std::uint32_t>& live_routes) {
  auto dead = [&](std::uint64_t k) {
    auto route = static_cast<std::uint32_t>((k >> 20) & 0xfffffffff);
    return route != 0 && !std::binary_search(live_routes.begin(), live_routes.end(), route);
  };
  std::lock_guard lock(mutex_);
  std::erase_if(requests_, [&](const auto& kv) { return dead(kv.first); });
  std::erase_if(timing_, [&](const auto& kv) { return dead(kv.first); });
}

}  // namespace wharf::dataplane::metrics
