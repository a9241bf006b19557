#pragma once

#include "cli/flags.hpp"
#include "config/static_config.hpp"
#include "model/result.hpp"

namespace wharf::controller {

struct Options;

// The controller's part of a Traefik static configuration (--configfile), applied to the
// options before the flags are: a setting given as a flag too keeps the flag's value. `flags`
// gains the certificate resolvers as the `--certificatesresolvers.*` flags they are in Traefik
// (those given on the command line win).
model::Status apply_static(const config::StaticConfig& sc, cli::Flags& flags, Options& o);

// Traefik's internal services routers may name (api@internal, noop@internal, ...), as services
// of the provider "internal". Without a static configuration all are there (the data plane
// serves its API anyway); with one, those its sections turn on, as in Traefik.
void add_internal_services(const config::StaticConfig* sc, Options& o);

}  // namespace wharf::controller
