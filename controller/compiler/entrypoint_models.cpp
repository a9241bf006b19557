#include "controller/compiler/entrypoint_models.hpp"

#include <algorithm>

#include "text/split_list.hpp"

namespace wharf::controller::compiler {
namespace {

bool has_own_tls(const model::ConfigRouter& r) {
  return r.tls || !r.cert_resolver.empty() || !r.tls_options.empty() || !r.cert_domains.empty();
}

const EntryPointModel* model_of(const StaticRouting& s, const std::string& ep) {
  for (const auto& m : s.models) {
    if (m.name == ep && !m.empty()) return &m;
  }
  return nullptr;
}

// The router's entry points that exist among `names` (its own, else `defaults`); each other one
// is a warning, and none at all an error of the router.
template <typename Router>
std::vector<std::string> existing_entrypoints(Router& r, const char* kind,
                                              const std::vector<std::string>& names,
                                              const std::vector<std::string>& defaults,
                                              model::ProviderConfig& config) {
  if (r.entrypoints.empty()) r.entrypoints = defaults;
  const std::string have = names.empty() ? std::string("none") : text::join(names, ", ");
  std::vector<std::string> known;
  for (const auto& ep : r.entrypoints) {
    if (std::find(names.begin(), names.end(), ep) != names.end()) {
      if (std::find(known.begin(), known.end(), ep) == known.end()) known.push_back(ep);
      continue;
    }
    config.diagnostics.push_back({kind, r.name,
                                  (r.source.empty() ? "" : r.source + ": ") + "entry point '" + ep +
                                      "' does not exist (the static configuration has " + have +
                                      "); the router is not served there",
                                  true});
  }
  if (known.empty()) {
    r.errors.push_back("none of its entry points exists (the static configuration has " + have +
                       ")");
  }
  return known;
}

}  // namespace

void apply_entrypoints(ProviderConfigs& providers, const StaticRouting& s) {
  if (s.entrypoints.empty() && s.udp_entrypoints.empty()) return;
  for (auto& [provider, config] : providers) {
    // TCP routers live on the TCP entry points and, as Traefik's, take no entry point models;
    // UDP routers without entry points listen on every UDP one.
    for (auto& r : config.tcp_routers) {
      r.entrypoints =
          existing_entrypoints(r, "tcp router", s.entrypoints, s.default_entrypoints, config);
    }
    for (auto& r : config.udp_routers) {
      r.entrypoints =
          existing_entrypoints(r, "udp router", s.udp_entrypoints, s.udp_entrypoints, config);
    }
    std::vector<model::ConfigRouter> out;
    out.reserve(config.routers.size());
    for (auto& r : config.routers) {
      auto known = existing_entrypoints(r, "router", s.entrypoints, s.default_entrypoints, config);
      if (known.empty()) {
        out.push_back(std::move(r));
        continue;
      }
      const bool several = known.size() > 1;
      std::vector<std::string> plain;  // Entry points without a model: the router as it is.
      for (const auto& ep : known) {
        const auto* m = model_of(s, ep);
        if (!m) {
          plain.push_back(ep);
          continue;
        }
        model::ConfigRouter copy = r;
        copy.entrypoints = {ep};
        if (several) copy.name = ep + "-" + r.name;
        if (!has_own_tls(copy) && m->tls) {
          copy.tls = true;
          copy.cert_resolver = m->cert_resolver;
          copy.cert_domains = m->tls_domains;
          copy.tls_options = m->tls_options;
        }
        copy.middlewares.insert(copy.middlewares.begin(), m->middlewares.begin(),
                                m->middlewares.end());
        out.push_back(std::move(copy));
      }
      if (!plain.empty()) {
        r.entrypoints = std::move(plain);
        out.push_back(std::move(r));
      }
    }
    config.routers = std::move(out);
  }
}

}  // namespace wharf::controller::compiler
