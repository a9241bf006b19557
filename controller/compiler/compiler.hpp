#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "model/provider_config.hpp"
#include "model/routing_table.hpp"

namespace wharf::controller::compiler {

// The latest config of every provider, keyed by provider name ("docker", "file", ...).
using ProviderConfigs = std::map<std::string, model::ProviderConfig>;

// Builds the routing table the data plane will serve. Names are qualified as `name@provider`;
// a reference without '@' means the referring object's own provider, with '@' any provider
// (`auth@file` from a Docker label). A router is left out, with a diagnostic saying why, when
// it has errors of its own, its service is missing or was rejected, or it uses a middleware
// that is missing, rejected or not implemented by the data plane yet. Everything else is kept.
// The result is deterministic (sorted by name) so unchanged input gives an equal table.
// The version is left 0; the publisher stamps it.
model::RoutingTable compile(const ProviderConfigs& providers);

std::string qualify(std::string_view ref, std::string_view provider);

// Names become `name@provider` and are the table's keys: they must be non-empty, must not
// carry their own '@', and must be unique within the provider (YAML allows a key twice).
// Adds `name` to `seen`; returns the problem, or empty.
std::string name_problem(const std::string& name, std::set<std::string>& seen);

// Rejected objects by kind ("router", "service", ...), for the metric-ready counters.
std::map<std::string, std::size_t> rejected_by_kind(const model::RoutingTable& table);

}  // namespace wharf::controller::compiler
