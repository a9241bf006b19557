#include "middleware/chain.hpp"

#include <algorithm>

namespace wharf::middleware_config {
namespace {

struct Expander {
  model::FunctionRef<const Spec*(const std::string&)> lookup;
  std::vector<std::string> stack;  // Chains being expanded, outermost first.
  std::vector<std::string> out;
  std::string error;

  void add(const std::string& name) {
    if (!error.empty()) return;
    const Spec* spec = lookup(name);
    if (!spec) {
      error = "middleware " + name + " does not exist" +
              (stack.empty() ? "" : " (named by chain " + stack.back() + ")");
      return;
    }
    const auto* chain = std::get_if<Chain>(spec);
    if (!chain) {
      out.push_back(name);
      return;
    }
    if (std::find(stack.begin(), stack.end(), name) != stack.end()) {
      error = "chain cycle: ";
      for (const auto& s : stack) error += s + " → ";
      error += name;
      return;
    }
    stack.push_back(name);
    for (const auto& member : chain->middlewares) add(qualify_as(member, name));
    stack.pop_back();
  }
};

}  // namespace

std::string qualify(std::string_view ref, std::string_view provider) {
  if (ref.find('@') != std::string_view::npos) return std::string(ref);
  return std::string(ref) + "@" + std::string(provider);
}

std::string qualify_as(std::string_view ref, std::string_view owner) {
  return qualify(ref, owner.substr(owner.find('@') + 1));
}

model::Result<std::vector<std::string>> expand(
    const std::vector<std::string>& qualified,
    model::FunctionRef<const Spec*(const std::string&)> lookup) {
  Expander e{lookup, {}, {}, {}};
  for (const auto& name : qualified) e.add(name);
  if (!e.error.empty()) return model::Error{e.error};
  return std::move(e.out);
}

}  // namespace wharf::middleware_config
