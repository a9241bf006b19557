#pragma once

#include <string>
#include <vector>

#include "controller/compiler/compiler.hpp"

namespace wharf::controller::compiler {

// What an entry point of the static configuration adds to the routers on it (Traefik's
// entry-point "models"): `http.tls` for routers without a TLS section of their own, and
// `http.middlewares` before the router's own.
struct EntryPointModel {
  std::string name;
  bool tls = false;
  std::string cert_resolver;
  std::vector<std::vector<std::string>> tls_domains;
  std::string tls_options;
  std::vector<std::string> middlewares;
  bool empty() const { return !tls && middlewares.empty(); }
};

// The static configuration's say in routing; all empty without one (routers without
// entryPoints then listen everywhere, and entry point names are not checked).
struct StaticRouting {
  std::vector<std::string> entrypoints;          // Every TCP entry point's name.
  std::vector<std::string> default_entrypoints;  // For HTTP and TCP routers that name none.
  std::vector<std::string> udp_entrypoints;      // Every UDP entry point's name.
  std::vector<EntryPointModel> models;
};

// Applied to every provider's routers before compiling, as Traefik does:
//  - a router without entryPoints gets the default ones;
//  - entry points that do not exist are dropped with a warning, and a router left with none
//    is an error;
//  - TCP routers likewise, without models; UDP routers among the UDP entry points (all of
//    them when they name none);
//  - a router on an entry point with a model becomes one router per such entry point (named
//    "<entrypoint>-<router>" when it had several), each with the model applied; its other
//    entry points stay with the router as it was.
void apply_entrypoints(ProviderConfigs& providers, const StaticRouting& routing);

}  // namespace wharf::controller::compiler
