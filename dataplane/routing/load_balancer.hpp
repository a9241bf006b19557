#pragma once

#include <string>

#include "dataplane/routing/compiled_table.hpp"

// Helpers the table builder uses to prepare a service's load balancing (the per-request part
// is CompiledService::pick, in load_balancer.cpp).
namespace wharf::dataplane::routing {

// The sticky cookie value naming a server: a hash of its URL, so cookies do not reveal
// internal addresses and stay valid across tables while the URL does.
std::string sticky_value(const std::string& url);

// Cookie name (derived from the service name when the table leaves it empty, as Traefik
// does) and the Set-Cookie attributes.
void set_sticky(CompiledService& service, const model::StickyCookie& cookie);

}  // namespace wharf::dataplane::routing
