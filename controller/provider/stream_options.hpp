#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/provider_config.hpp"

namespace wharf::controller {

// Traefik's tcp.services and udp.services options, keyed relative to the service in lower case
// as labels and the flattened file spell them; Docker labels and the file read them here so a
// label and a file line mean the same:
//   loadbalancer.proxyprotocol.version   1 or 2: servers get a PROXY header first (TCP)
//   loadbalancer.serverstransport        a TCP servers transport, `name` or `name@file` (TCP)
//   loadbalancer.terminationdelay        accepted (Traefik deprecates it); half-closes are
//                                        passed on as they come
//   loadbalancer.server.tls              refused: TLS towards TCP servers is not supported, and
//                                        serving them in clear text would fail differently
// `loadbalancer.server.port` is the Docker provider's own (it makes the server). Returns
// nullopt when `key` is not an option of that protocol, else the problem (empty when none).
enum class StreamProtocol { kTcp, kUdp };
std::optional<std::string> stream_service_option(model::ConfigStreamService& s,
                                                 std::string_view key, std::string_view value,
                                                 StreamProtocol protocol);

// udp.routers options: `entrypoints` (a comma list) and `service`.
std::optional<std::string> udp_router_option(model::ConfigUdpRouter& r, std::string_view key,
                                             std::string_view value);

}  // namespace wharf::controller
