#include "middleware/breaker_expression.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace wharf::middleware_config {
namespace {

using Node = BreakerExpression::Node;

// Recursive descent over the expression; the first error wins and names its column (1-based),
// as rule errors do.
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  model::Result<int> parse(std::vector<Node>& nodes) {
    nodes_ = &nodes;
    int root = parse_or();
    skip_space();
    if (error_.empty() && pos_ < s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    if (!error_.empty()) return model::Error{error_};
    return root;
  }

 private:
  void fail(const std::string& what) {
    if (error_.empty()) error_ = "column " + std::to_string(pos_ + 1) + ": " + what;
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(std::string_view token) {
    skip_space();
    if (s_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  int add(Node n) {
    nodes_->push_back(std::move(n));
    return static_cast<int>(nodes_->size() - 1);
  }

  int parse_or() {
    int left = parse_and();
    while (error_.empty() && eat("||")) {
      int right = parse_and();
      left = add(Node{Node::Kind::kOr, {}, {}, {}, 0, left, right});
    }
    return left;
  }
  int parse_and() {
    int left = parse_primary();
    while (error_.empty() && eat("&&")) {
      int right = parse_primary();
      left = add(Node{Node::Kind::kAnd, {}, {}, {}, 0, left, right});
    }
    return left;
  }
  int parse_primary() {
    if (eat("(")) {
      int inner = parse_or();
      if (!eat(")")) fail("expected ')'");
      return inner;
    }
    return parse_comparison();
  }

  int parse_comparison() {
    Node n;
    skip_space();
    std::size_t start = pos_;
    while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    std::string_view name = s_.substr(start, pos_ - start);
    std::size_t arity = 0;
    if (name == "NetworkErrorRatio") {
      n.metric = Node::Metric::kNetworkErrorRatio;
    } else if (name == "ResponseCodeRatio") {
      n.metric = Node::Metric::kResponseCodeRatio;
      arity = 4;
    } else if (name == "LatencyAtQuantileMS") {
      n.metric = Node::Metric::kLatencyAtQuantile;
      arity = 1;
    } else {
      pos_ = start;
      fail(
          "expected NetworkErrorRatio(), ResponseCodeRatio(from, to, dFrom, dTo) or "
          "LatencyAtQuantileMS(quantile)");
      return -1;
    }
    if (!eat("(")) fail("expected '(' after " + std::string(name));
    for (std::size_t i = 0; i < arity && error_.empty(); ++i) {
      if (i > 0 && !eat(","))
        fail("expected ',' (" + std::string(name) + " takes " + std::to_string(arity) +
             " arguments)");
      n.args.push_back(number());
    }
    if (error_.empty() && !eat(")")) {
      fail(arity == 0 ? "expected ')': " + std::string(name) + " takes no arguments"
                      : "expected ')' after " + std::to_string(arity) + " argument" +
                            (arity > 1 ? "s" : ""));
    }
    if (n.metric == Node::Metric::kLatencyAtQuantile && error_.empty() &&
        (n.args[0] <= 0 || n.args[0] > 100)) {
      fail("the quantile must be above 0 and at most 100");
    }
    if (n.metric == Node::Metric::kResponseCodeRatio && error_.empty() &&
        (n.args[0] >= n.args[1] || n.args[2] >= n.args[3])) {
      fail("ResponseCodeRatio ranges are [from, to) with from < to");
    }
    static constexpr std::pair<std::string_view, Node::Op> kOps[] = {
        {">=", Node::Op::kGe}, {"<=", Node::Op::kLe}, {"==", Node::Op::kEq},
        {"!=", Node::Op::kNe}, {">", Node::Op::kGt},  {"<", Node::Op::kLt}};
    bool found = false;
    for (auto [text, op] : kOps) {
      if (error_.empty() && eat(text)) {
        n.op = op;
        found = true;
        break;
      }
    }
    if (!found) fail("expected a comparison (>, <, >=, <=, ==, !=) after " + std::string(name));
    n.value = number();
    return error_.empty() ? add(std::move(n)) : -1;
  }

  double number() {
    skip_space();
    double v = 0;
    auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), v);
    if (ec != std::errc{}) {
      fail("expected a number");
      return 0;
    }
    pos_ = static_cast<std::size_t>(end - s_.data());
    return v;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
  std::vector<Node>* nodes_ = nullptr;
};

}  // namespace

model::Result<std::shared_ptr<const BreakerExpression>> BreakerExpression::parse(
    std::string_view text) {
  auto e = std::make_shared<BreakerExpression>();
  auto root = Parser(text).parse(e->nodes_);
  if (!root) return model::Error{root.error()};
  e->root_ = *root;
  return std::shared_ptr<const BreakerExpression>(std::move(e));
}

bool BreakerExpression::evaluate(const BreakerMetrics& m) const {
  return eval(root_, m);
}

bool BreakerExpression::eval(int index, const BreakerMetrics& m) const {
  const Node& n = nodes_[static_cast<std::size_t>(index)];
  switch (n.kind) {
    case Node::Kind::kAnd:
      return eval(n.left, m) && eval(n.right, m);
    case Node::Kind::kOr:
      return eval(n.left, m) || eval(n.right, m);
    case Node::Kind::kCompare:
      break;
  }
  double v = 0;
  switch (n.metric) {
    case Node::Metric::kNetworkErrorRatio:
      v = m.network_error_ratio();
      break;
    case Node::Metric::kResponseCodeRatio:
      v = m.response_code_ratio(static_cast<int>(n.args[0]), static_cast<int>(n.args[1]),
                                static_cast<int>(n.args[2]), static_cast<int>(n.args[3]));
      break;
    case Node::Metric::kLatencyAtQuantile:
      v = m.latency_at_quantile_ms(n.args[0]);
      break;
  }
  switch (n.op) {
    case Node::Op::kGt:
      return v > n.value;
    case Node::Op::kLt:
      return v < n.value;
    case Node::Op::kGe:
      return v >= n.value;
    case Node::Op::kLe:
      return v <= n.value;
    case Node::Op::kEq:
      return v == n.value;
    case Node::Op::kNe:
      return v != n.value;
  }
  return false;
}

}  // namespace wharf::middleware_config
