#pragma once

#include <yaml-cpp/yaml.h>

#include "controller/file/yaml_reading.hpp"
#include "controller/provider/router_options.hpp"

namespace wharf::controller::file {

// One `http.routers.<name>` or `tcp.routers.<name>` mapping, flattened the way labels spell
// it and read by the decoder every provider shares (router_option). A router without a rule or
// a service carries that error.
model::ConfigRouter read_router(const YAML::Node& key, const YAML::Node& node, const Where& w,
                                RouterKind kind);

}  // namespace wharf::controller::file
