#include "controller/docker/constraints.hpp"

#include <cctype>

#include "rules/parser.hpp"

namespace wharf::controller::docker {
namespace {

// Label → Header, LabelRegex → HeaderRegexp, outside quoted text; any other matcher is an
// error (Traefik knows no other constraint).
model::Result<std::string> as_header_rule(std::string_view in) {
  std::string out;
  char quote = 0;
  for (std::size_t i = 0; i < in.size();) {
    char c = in[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;
      ++i;
      continue;
    }
    if (c == '`' || c == '"') {
      quote = c;
      out += c;
      ++i;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      while (j < in.size() && std::isalnum(static_cast<unsigned char>(in[j]))) ++j;
      const std::string_view word = in.substr(i, j - i);
      if (word == "Label") {
        out += "Header";
      } else if (word == "LabelRegex") {
        out += "HeaderRegexp";
      } else {
        return model::Error{"'" + std::string(word) +
                            "' is not a constraint (Label and LabelRegex are)"};
      }
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

class LabelLookup : public rules::HeaderLookup {
 public:
  explicit LabelLookup(const std::map<std::string, std::string>& labels) : labels_(labels) {}
  bool any_value(std::string_view name,
                 model::FunctionRef<bool(std::string_view)> pred) const override {
    auto it = labels_.find(std::string(name));
    return it != labels_.end() && pred(it->second);
  }

 private:
  const std::map<std::string, std::string>& labels_;
};

}  // namespace

model::Result<Constraints> Constraints::parse(std::string_view expression) {
  auto rule = as_header_rule(expression);
  if (!rule) return model::Error{rule.error()};
  auto tree = rules::parse(*rule);
  if (!tree) return model::Error{tree.error()};
  Constraints c;
  c.text_ = std::string(expression);
  c.tree_ = std::make_shared<const rules::Node>(std::move(*tree));
  return c;
}

bool Constraints::matches(const std::map<std::string, std::string>& labels) const {
  if (!tree_) return true;
  LabelLookup lookup(labels);
  rules::RequestView view;
  view.headers = &lookup;
  return rules::evaluate(*tree_, view);
}

}  // namespace wharf::controller::docker
