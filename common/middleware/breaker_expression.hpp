#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace wharf::middleware_config {

// The condition that trips Traefik's circuit breaker, in its language:
//
//   NetworkErrorRatio() > 0.30
//   ResponseCodeRatio(500, 600, 0, 600) > 0.25 || LatencyAtQuantileMS(50.0) > 100
//
// Comparisons (> < >= <= == !=) of one metric against a number, joined by && and ||, with
// parentheses. Parsed once (controller and data plane alike) and evaluated against the
// breaker's rolling counts every check period.

// What an expression reads; the data plane's breaker implements it over its window.
class BreakerMetrics {
 public:
  virtual ~BreakerMetrics() = default;
  // Requests that failed at the network level (no response from the server) / all requests.
  virtual double network_error_ratio() const = 0;
  // Responses with a status in [from, to) / responses with a status in [d_from, d_to).
  virtual double response_code_ratio(int from, int to, int d_from, int d_to) const = 0;
  // Time to the response head at quantile `q` (0-100), in milliseconds.
  virtual double latency_at_quantile_ms(double q) const = 0;
};

class BreakerExpression {
 public:
  static model::Result<std::shared_ptr<const BreakerExpression>> parse(std::string_view text);
  bool evaluate(const BreakerMetrics& m) const;

  // One node of the parsed tree: a comparison, or && / || of two nodes.
  struct Node {
    enum class Kind { kCompare, kAnd, kOr } kind = Kind::kCompare;
    enum class Metric { kNetworkErrorRatio, kResponseCodeRatio, kLatencyAtQuantile } metric{};
    enum class Op { kGt, kLt, kGe, kLe, kEq, kNe } op{};
    std::vector<double> args;
    double value = 0;
    int left = -1, right = -1;  // Children, for kAnd and kOr.
  };

 private:
  bool eval(int node, const BreakerMetrics& m) const;
  std::vector<Node> nodes_;
  int root_ = -1;
};

}  // namespace wharf::middleware_config
