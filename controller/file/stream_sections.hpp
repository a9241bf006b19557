#pragma once

#include <yaml-cpp/yaml.h>

#include "controller/file/yaml_reading.hpp"

namespace wharf::controller::file {

// The dynamic file's `tcp` section (routers, services, serversTransports) and `udp` section
// (routers, services), keys without case as Traefik reads them. Services are a loadBalancer of
// `address: host:port` servers or `weighted.services` of `{name, weight}`; router and service
// options go through the decoders Docker labels use. `tcp.middlewares` are reported and left
// out (a router naming one is refused by the compiler: never served without it).
void read_stream_sections(const YAML::Node& root, const Where& w, model::ProviderConfig& out);

}  // namespace wharf::controller::file
