#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "middleware/spec.hpp"
#include "model/function_ref.hpp"
#include "model/result.hpp"

namespace wharf::middleware_config {

// "name" → "name@provider"; qualified names pass unchanged (a router may use `auth@file`).
std::string qualify(std::string_view ref, std::string_view provider);
// `ref` as named by the object `owner` ("x@docker"): an unqualified name takes the owner's
// provider (a chain's members, an errors middleware's service).
std::string qualify_as(std::string_view ref, std::string_view owner);

// A router's middleware list with every chain replaced by its members, in order, recursively;
// a chain's members are qualified with the chain's own provider, as Traefik does. `lookup`
// returns the spec of a qualified name, or nullptr when no such middleware exists. Errors name
// the missing middleware or the cycle ("a@file → b@file → a@file").
model::Result<std::vector<std::string>> expand(
    const std::vector<std::string>& qualified,
    model::FunctionRef<const Spec*(const std::string&)> lookup);

}  // namespace wharf::middleware_config
