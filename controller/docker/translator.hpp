#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/docker/constraints.hpp"
#include "controller/docker/container.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::docker {

struct TranslatorOptions {
  std::vector<std::string> label_prefixes{"wharf"};
  // Traefik exposes every container unless told otherwise; Wharf does not: a container needs
  // `wharf.enable=true` unless this is set.
  bool exposed_by_default = false;
  std::string network;  // Default network to reach containers on (`--docker-network`).
  std::string default_rule = "Host(`{{ normalize .Name }}`)";
  // providers.docker.constraints (--docker-constraints): containers not matching are ignored.
  std::optional<Constraints> constraints;
};

model::Status set_constraints(TranslatorOptions& options, std::string_view expression);

// Whether a container's labels ask for it to be routed (decided from the list, before
// inspecting it). A malformed `enable` label counts as yes, so translate() reports it.
bool wants_routing(const std::map<std::string, std::string>& labels, const TranslatorOptions& opt);

// Labels of every container → one provider config. Pure: the same containers always give the
// same config, whatever order they come in. Implements Traefik's docker provider rules:
//  - a container with no service label gets one service named after it (compose:
//    "<service>-<project>"), on the `server.port` label or else its lowest exposed TCP port;
//  - no router label: one router with that name and the default rule, when there is exactly
//    one service; a router without a service label uses the container's only service;
//  - containers defining the same router or service identically are merged (a scaled compose
//    service gives one service with several servers); differently, both are rejected;
//  - a container that is not serving (stopped, paused, restarting, unhealthy, starting) keeps
//    its routers with an empty server list, so its hosts answer 503 instead of 404.
model::ProviderConfig translate(const std::vector<Container>& containers,
                                const TranslatorOptions& options);

}  // namespace wharf::controller::docker
