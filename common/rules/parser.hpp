#pragma once

#include <string_view>

#include "model/result.hpp"
#include "rules/ast.hpp"

namespace wharf::rules {

// Parses a Traefik v3 rule. Errors read "column N: expected ..., found ..." so a label or
// YAML error message can point at the exact character.
model::Result<Node> parse(std::string_view rule);

// Parses a TCP router's rule: HostSNI, HostSNIRegexp, ClientIP and ALPN with &&, || and !, as
// Traefik v3 writes them. HostSNI(`*`) matches every connection, TLS or not.
model::Result<Node> parse_tcp(std::string_view rule);

// Hosts a rule requires: for Host(`a`) && PathPrefix(`/x`) that is {"a"} (HostSNI counts in
// a TCP rule). Empty when the rule can
// match without a Host matcher (then the router is tried for every host). Used to index routers.
std::vector<std::string> required_hosts(const Node& node);

}  // namespace wharf::rules
