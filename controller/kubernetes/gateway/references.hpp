#pragma once

#include <string>

#include "controller/kubernetes/objects.hpp"

namespace wharf::controller::kubernetes::gateway {

// What refers, for ReferenceGrant's `from`, and what is referred to, for its `to`.
struct Referrer {
  std::string group, kind, ns;
};
struct Referent {
  std::string group, kind, ns, name;
};

// Whether a reference may cross namespaces: same namespace always; otherwise some
// ReferenceGrant in the referent's namespace lists the referrer's (group, kind, namespace) in
// `from` and the referent's (group, kind) in `to`, with its name or none.
bool reference_allowed(const Snapshot& snap, const Referrer& from, const Referent& to);

// Whether a namespace's labels satisfy a selector (matchLabels and matchExpressions with In,
// NotIn, Exists, DoesNotExist); an unknown operator matches nothing.
bool selector_matches(const LabelSelector& selector,
                      const std::map<std::string, std::string>& labels);

}  // namespace wharf::controller::kubernetes::gateway
