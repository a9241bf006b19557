#pragma once

#include <set>
#include <string>

#include "controller/compiler/compiler.hpp"

namespace wharf::controller::compiler {

// The TCP and UDP half of compile(): every provider's tcp/udp routers, services and TCP
// servers transports into the table, qualified as HTTP objects are, each bad one left out with
// a diagnostic naming why. `tls_options` are the table's valid TLS options (a terminating
// router may name them), `rejected_tls_options` the ones refused.
void compile_streams(const ProviderConfigs& providers, const std::set<std::string>& tls_options,
                     const std::set<std::string>& rejected_tls_options, model::RoutingTable& table);

}  // namespace wharf::controller::compiler
