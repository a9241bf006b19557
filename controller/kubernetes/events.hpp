#pragma once

#include <string>

#include "controller/kubernetes/api_client.hpp"
#include "controller/kubernetes/objects.hpp"

namespace wharf::controller::kubernetes {

// The object a Warning Event is about, as `kubectl describe` finds it.
struct EventSubject {
  std::string api_version, kind;  // "networking.k8s.io/v1", "Ingress"
  ObjectMeta meta;
};

// Posts one Warning Event about `subject` (reason, message), reported by `controller` (the
// controller name) from `identity` (the pod). Returns why it failed, or empty. Parameters are
// taken by value: callers pass temporaries, which GCC 12 does not keep alive across the
// coroutine's suspension.
awaitable<std::string> post_warning(ApiClient& client, EventSubject subject, std::string reason,
                                    std::string message, std::string controller,
                                    std::string identity);

}  // namespace wharf::controller::kubernetes
