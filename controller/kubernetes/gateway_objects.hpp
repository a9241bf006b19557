#pragma once

#include <string>

#include <rapidjson/document.h>

#include "controller/kubernetes/objects.hpp"

namespace wharf::controller::kubernetes {

// Decodes an object of a Gateway API kind (GatewayClass, Gateway, HTTPRoute, GRPCRoute,
// ReferenceGrant) or a Namespace into `out`; false when `kind` is none of them. Used by
// add_objects.
bool add_gateway_object(const std::string& kind, const rapidjson::Value& obj, Snapshot& out);

}  // namespace wharf::controller::kubernetes
