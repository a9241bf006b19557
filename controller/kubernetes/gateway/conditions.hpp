#pragma once

#include <string>
#include <vector>

#include "controller/kubernetes/objects.hpp"

namespace wharf::controller::kubernetes::gateway {

// A condition as the Gateway API writes them: status "True" or "False", a reason from the
// spec, a message for people, the generation it was computed from.
inline Condition condition(std::string type, bool status, std::string reason, std::string message,
                           std::int64_t generation) {
  return Condition{std::move(type),   status ? "True" : "False",
                   std::move(reason), std::move(message),
                   generation,        {}};
}

// Gives each desired condition its lastTransitionTime: the current one's when a condition of
// that type had the same status, else `now` (API conventions: it moves when the status does).
inline void stamp(std::vector<Condition>& desired, const std::vector<Condition>& current,
                  const std::string& now) {
  for (auto& d : desired) {
    d.last_transition_time = now;
    for (const auto& c : current) {
      if (c.type == d.type && c.status == d.status && !c.last_transition_time.empty()) {
        d.last_transition_time = c.last_transition_time;
      }
    }
  }
}

}  // namespace wharf::controller::kubernetes::gateway
