#include "controller/kubernetes/gateway/references.hpp"

#include <algorithm>

namespace wharf::controller::kubernetes::gateway {

bool reference_allowed(const Snapshot& snap, const Referrer& from, const Referent& to) {
  if (from.ns == to.ns) return true;
  for (const auto& grant : snap.reference_grants) {
    if (grant.meta.ns != to.ns) continue;
    const bool from_ok = std::any_of(grant.from.begin(), grant.from.end(), [&](const ObjectRef& f) {
      return f.group == from.group && f.kind == from.kind && f.ns == from.ns;
    });
    const bool to_ok = std::any_of(grant.to.begin(), grant.to.end(), [&](const ObjectRef& t) {
      return t.group == to.group && t.kind == to.kind && (t.name.empty() || t.name == to.name);
    });
    if (from_ok && to_ok) return true;
  }
  return false;
}

bool selector_matches(const LabelSelector& selector,
                      const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& e : selector.match_expressions) {
    auto it = labels.find(e.key);
    const bool has = it != labels.end();
    const bool in =
        has && std::find(e.values.begin(), e.values.end(), it->second) != e.values.end();
    if (e.op == "In"             ? !in
        : e.op == "NotIn"        ? in
        : e.op == "Exists"       ? !has
        : e.op == "DoesNotExist" ? has
                                 : true) {
      return false;
    }
  }
  return true;
}

}  // namespace wharf::controller::kubernetes::gateway
