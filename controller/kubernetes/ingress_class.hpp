#pragma once

#include <algorithm>
#include <string_view>

#include "controller/kubernetes/objects.hpp"

namespace wharf::controller::kubernetes {

// Which controller an Ingress is for, decided as Kubernetes documents it: `spec.ingressClassName`
// names an IngressClass whose spec.controller is `controller` (or, with `name_is_enough`, is
// `class_name` itself, for a class whose IngressClass may be gone); without it, the legacy
// `kubernetes.io/ingress.class` annotation equals `class_name`; with neither, `without_class`
// or one of the controller's IngressClasses is the cluster's default.
struct ClassFilter {
  std::string_view controller;
  std::string_view class_name;
  bool without_class = false;
  bool name_is_enough = false;
};

inline bool of_class(const Ingress& ing, const Snapshot& snap, const ClassFilter& f) {
  auto mine = [&](const IngressClass& c) { return c.controller == f.controller; };
  if (!ing.class_name.empty()) {
    if (f.name_is_enough && ing.class_name == f.class_name) return true;
    for (const auto& c : snap.classes) {
      if (c.meta.name == ing.class_name) return mine(c);
    }
    return false;
  }
  auto legacy = ing.meta.annotations.find("kubernetes.io/ingress.class");
  if (legacy != ing.meta.annotations.end()) return legacy->second == f.class_name;
  if (f.without_class) return true;
  return std::any_of(snap.classes.begin(), snap.classes.end(),
                     [&](const IngressClass& c) { return mine(c) && c.is_default; });
}

}  // namespace wharf::controller::kubernetes
