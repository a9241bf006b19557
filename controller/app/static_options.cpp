#include "controller/app/static_options.hpp"

#include "controller/app/options.hpp"
#include "controller/docker/engine_client.hpp"
#include "controller/docker/labels.hpp"
#include "controller/docker/translator.hpp"
#include "controller/file/file_translator.hpp"
#include "controller/file/tls_sections.hpp"

namespace wharf::controller {
namespace {

// Traefik's 0 means "no limit"; Wharf's timeouts are idle times, so a day stands for none.
constexpr std::uint32_t kNoLimitMs = 86'400'000;

std::uint32_t or_no_limit(std::uint32_t ms) {
  return ms == 0 ? kNoLimitMs : ms;
}

// respondingTimeouts are totals in Traefik (readTimeout: the whole request, body included);
// Wharf bounds each wait instead, so a 50 GB upload is not cut while it keeps moving:
// readTimeout → waiting for the head and for each piece of the body; idleTimeout → a
// keep-alive connection with no request. writeTimeout has no counterpart (a stalled write is
// bounded by the same idle time as a stalled read).
model::EntryPointTimeouts timeouts_of(const config::StaticEntryPoint& e) {
  model::EntryPointTimeouts t;
  if (e.read_timeout_ms) t.read_header_ms = t.body_idle_ms = or_no_limit(*e.read_timeout_ms);
  if (e.idle_timeout_ms) t.idle_ms = or_no_limit(*e.idle_timeout_ms);
  return t;
}

}  // namespace

model::Status apply_static(const config::StaticConfig& sc, cli::Flags& flags, Options& o) {
  auto given = [&](const char* flag) { return flags.count(flag) > 0; };
  // Providers: those the file names, as Traefik would run them.
  if (!given("--docker-endpoint")) {
    o.docker_endpoint.clear();
    if (sc.docker.enabled) {
      const std::string ep =
          sc.docker.endpoint.empty() ? "unix:///var/run/docker.sock" : sc.docker.endpoint;
      if (auto parsed = docker::parse_endpoint(ep); !parsed) {
        return model::Error{sc.file + ": providers.docker.endpoint: " + parsed.error()};
      }
      o.docker_endpoint = ep;
    }
  }
  if (sc.docker.enabled) {
    if (!given("--docker-label-prefixes")) o.docker.label_prefixes = {"wharf", "traefik"};
    if (!given("--docker-exposed-by-default"))
      o.docker.exposed_by_default = sc.docker.exposed_by_default;
    if (!given("--docker-network") && !sc.docker.network.empty())
      o.docker.network = sc.docker.network;
    if (!given("--docker-default-rule") && !sc.docker.default_rule.empty()) {
      if (auto probe = docker::expand_default_rule(sc.docker.default_rule, "probe", {}); !probe) {
        return model::Error{sc.file + ": providers.docker.defaultRule: " + probe.error()};
      }
      o.docker.default_rule = sc.docker.default_rule;
    }
    if (!given("--docker-constraints") && !sc.docker.constraints.empty()) {
      if (auto ok = docker::set_constraints(o.docker, sc.docker.constraints); !ok) {
        return model::Error{sc.file + ": providers.docker.constraints: " + ok.error()};
      }
    }
  }
  if (!given("--file")) o.file = sc.file_provider;
  if (!given("--throttle") && sc.providers_throttle_ms) {
    o.throttle = std::chrono::milliseconds(*sc.providers_throttle_ms);
  }
  if (!given("--log-level") && !sc.log_level.empty()) flags["--log-level"] = {sc.log_level};
  for (const auto& [key, value] : sc.resolver_flags) {
    if (!flags.count("--" + key)) flags["--" + key] = {value};
  }
  // Entry points: their timeouts and redirections go in every table; their TLS and
  // middlewares shape the routers on them.
  for (const auto& e : sc.entrypoints) {
    if (e.udp) {  // Only udp.routers use it: no HTTP timeouts, redirections or models.
      o.routing.udp_entrypoints.push_back(e.name);
      continue;
    }
    model::EntryPoint ep;
    ep.name = e.name;
    ep.timeouts = timeouts_of(e);
    ep.redirect = e.redirect;
    o.entrypoints.push_back(std::move(ep));
    o.routing.entrypoints.push_back(e.name);
    compiler::EntryPointModel m;
    m.name = e.name;
    m.tls = e.tls;
    m.cert_resolver = e.cert_resolver;
    m.tls_domains = e.tls_domains;
    m.tls_options = e.tls_options;
    m.middlewares = e.middlewares;
    if (!m.empty()) o.routing.models.push_back(std::move(m));
  }
  o.routing.default_entrypoints = sc.default_entrypoints();
  // The default servers transport: services that name none use it (Traefik's internal
  // `default` transport), read with the same decoder as the dynamic files' transports.
  if (sc.servers_transport) {
    auto t = file::read_servers_transport("default", "serversTransport", sc.servers_transport->node,
                                          sc.servers_transport->where, file::read_whole_file);
    o.internal.transports.push_back(std::move(t));
  }
  o.warnings = sc.warnings;
  return model::kOk;
}

void add_internal_services(const config::StaticConfig* sc, Options& o) {
  auto add = [&](const char* kind, bool on) {
    if (!on) return;
    model::ConfigService s;
    s.name = kind;
    s.internal = kind;
    s.source = sc ? sc->file : "built in";
    o.internal.services.push_back(std::move(s));
  };
  add("api", !sc || sc->api);
  add("dashboard", !sc || (sc->api && sc->api_dashboard));
  add("noop", true);
  add("ping", !sc || sc->ping);
  add("prometheus", !sc || sc->prometheus);
}

}  // namespace wharf::controller
