#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "model/result.hpp"

namespace wharf::rules {
struct Node;
}

namespace wharf::controller::docker {

// Traefik's `providers.docker.constraints`: an expression over a container's labels
// (Label(`key`, `value`), LabelRegex(`key`, `regex`), &&, ||, !, parentheses) that a container
// must match to be routed at all. It is read by the rule parser, as the Header matchers it
// mirrors, over the container's full label set (not only the provider's prefix).
class Constraints {
 public:
  static model::Result<Constraints> parse(std::string_view expression);
  bool matches(const std::map<std::string, std::string>& labels) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const rules::Node> tree_;
};

}  // namespace wharf::controller::docker
