#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace wharf::controller {

// The controller's counters and gauges, by name and one label value (a provider, a kind, a
// result: bounded sets). controller/app/metrics.cpp exposes them as wharf_controller_*.
class Stats {
 public:
  void add(const std::string& counter, const std::string& label, std::uint64_t n = 1) {
    std::lock_guard lock(mu_);
    counters_[counter][label] += n;
  }
  void set(const std::string& gauge, const std::string& label, std::uint64_t v) {
    std::lock_guard lock(mu_);
    counters_[gauge][label] = v;
  }
  using Snapshot = std::map<std::string, std::map<std::string, std::uint64_t>>;
  Snapshot snapshot() const {
    std::lock_guard lock(mu_);
    return counters_;
  }
  std::uint64_t get(const std::string& counter, const std::string& label) const {
    std::lock_guard lock(mu_);
    auto it = counters_.find(counter);
    if (it == counters_.end()) return 0;
    auto jt = it->second.find(label);
    return jt == it->second.end() ? 0 : jt->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::uint64_t>> counters_;
};

}  // namespace wharf::controller
