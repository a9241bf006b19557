#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "httpd/admin_server.hpp"

namespace wharf::dataplane::routing {
class CompiledTable;
}
namespace wharf::dataplane::metrics {
class Metrics;
}

namespace wharf::dataplane::admin {

// What the admin API reads: the table being served (null before the first one) and the
// entrypoints as bound. Everything runs on the control thread, where the table is installed.
struct ApiState {
  const routing::CompiledTable* table = nullptr;
  std::vector<std::pair<std::string, std::uint16_t>> entrypoints;
  const metrics::Metrics* metrics = nullptr;
};

// The read-only JSON API, in Traefik's shape where Traefik has one:
//   /api/version, /api/overview, /api/entrypoints, /api/certificates, /api/rejected,
//   /api/http/routers[/NAME], /api/http/services[/NAME], /api/http/middlewares[/NAME]
// Lists take `search` (a substring of the name, rule, service or reason, case-insensitive),
// `page` (from 1) and `per_page` (default 100, at most 1000), and answer X-Total-Count and,
// when there is one, X-Next-Page. Nothing secret is served: certificates by name, domains and
// expiry only; basicauth users by name; custom request header values and forwardauth
// addresses' credentials are redacted.
httpd::AdminResponse api(const httpd::AdminRequest& req, const ApiState& state);

}  // namespace wharf::dataplane::admin
