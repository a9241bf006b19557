#include "controller/compiler/compiler.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "controller/compiler/stream_compiler.hpp"
#include "controller/provider/middleware_types.hpp"
#include "middleware/chain.hpp"
#include "rules/parser.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::compiler {
namespace {

std::string join_errors(const std::vector<std::string>& errors) {
  return text::join(errors, "; ");
}

// The static configuration's `serversTransport` (Traefik's internal default transport).
constexpr const char* kDefaultTransport = "default@internal";

struct Index {
  std::set<std::string> services, rejected_services;
  std::map<std::string, std::vector<std::string>> service_middlewares;  // Qualified.
  std::map<std::string, middleware_config::Spec> middlewares;           // The valid ones, parsed.
  std::set<std::string> rejected_middlewares;
};

// The chains leading from a router's list to `target` ("a@file → b@file"), empty when it is
// named directly: a refused middleware deep in a chain is reported with the way to it.
std::string chain_path(const std::vector<std::string>& names, const std::string& target,
                       const Index& idx, int depth = 0) {
  if (depth > 16) return {};
  for (const auto& name : names) {
    if (name == target) return name;
    auto it = idx.middlewares.find(name);
    const auto* chain =
        it == idx.middlewares.end() ? nullptr : std::get_if<middleware_config::Chain>(&it->second);
    if (!chain) continue;
    std::vector<std::string> inner;
    for (const auto& m : chain->middlewares)
      inner.push_back(middleware_config::qualify_as(m, name));
    if (auto rest = chain_path(inner, target, idx, depth + 1); !rest.empty()) {
      return name + " → " + rest;
    }
  }
  return {};
}

// Why a router cannot be served, or empty when it can.
std::string router_problem(const model::ConfigRouter& r, const std::string& provider,
                           const Index& idx, model::Router& out) {
  if (!r.errors.empty()) return join_errors(r.errors);
  out.service = qualify(r.service, provider);
  if (idx.rejected_services.count(out.service)) {
    return "uses service " + out.service + ", which was rejected";
  }
  if (!idx.services.count(out.service)) {
    return "uses service " + out.service + ", which does not exist";
  }
  for (const auto& m : r.middlewares) out.middlewares.push_back(qualify(m, provider));
  if (auto it = idx.service_middlewares.find(out.service); it != idx.service_middlewares.end()) {
    out.middlewares.insert(out.middlewares.end(), it->second.begin(), it->second.end());
  }
  // A router is never served without a middleware it names (an auth middleware skipped would
  // expose what it protects): a rejected or missing one, also inside a chain, disables it.
  std::string rejected;
  auto lookup = [&](const std::string& name) -> const middleware_config::Spec* {
    if (idx.rejected_middlewares.count(name) && rejected.empty()) rejected = name;
    auto it = idx.middlewares.find(name);
    return it == idx.middlewares.end() ? nullptr : &it->second;
  };
  if (auto expanded = middleware_config::expand(out.middlewares, lookup); !expanded) {
    if (!rejected.empty()) {
      const std::string path = chain_path(out.middlewares, rejected, idx);
      return "uses middleware " + rejected + ", which was rejected" +
             (path.empty() || path == rejected ? "" : " (by way of " + path + ")");
    }
    // "middleware x@file does not exist (named by chain c@file)" → "uses middleware x@file,
    // which does not exist (...)", the wording of the other reference errors.
    std::string why = expanded.error();
    if (auto at = why.find(" does not exist"); why.starts_with("middleware ") && at != why.npos) {
      why.replace(at, 15, ", which does not exist");
    }
    return "uses " + why;
  }
  if (auto parsed = rules::parse(r.rule); !parsed) return "rule: " + parsed.error();
  return {};
}

// An errors middleware names the service its pages come from: it must be one that made it
// into the table, or the data plane would refuse the whole table.
std::string service_reference_problem(const middleware_config::Spec& spec, const std::string& name,
                                      const Index& idx) {
  const auto* errors = std::get_if<middleware_config::Errors>(&spec);
  if (!errors) return {};
  auto service = middleware_config::qualify_as(errors->service, name);
  if (idx.rejected_services.count(service)) {
    return "errors.service: " + service + " was rejected";
  }
  if (!idx.services.count(service)) return "errors.service: " + service + " does not exist";
  return {};
}

}  // namespace

std::string name_problem(const std::string& name, std::set<std::string>& seen) {
  if (name.empty()) return "empty name";
  if (name.find('@') != std::string::npos) return "a name must not contain '@'";
  if (!seen.insert(name).second) return "defined more than once";
  return {};
}

std::string qualify(std::string_view ref, std::string_view provider) {
  if (ref.find('@') != std::string_view::npos) return std::string(ref);
  return std::string(ref) + "@" + std::string(provider);
}

model::RoutingTable compile(const ProviderConfigs& providers) {
  model::RoutingTable table;
  Index idx;
  // One default certificate per table: the first provider (by name) that sets one wins.
  bool has_default = false;
  std::string has_default_from;
  // TLS options: routers name them.
  std::set<std::string> tls_options, rejected_tls_options;
  for (const auto& [provider, config] : providers) {
    std::set<std::string> seen;
    for (const auto& c : config.tls_options) {
      auto name = qualify(c.options.name, provider);
      std::vector<std::string> errors = c.errors;
      if (auto bad_name = name_problem(c.options.name, seen); !bad_name.empty())
        errors = {bad_name};
      if (!errors.empty()) {
        rejected_tls_options.insert(name);
        table.diagnostics.push_back({"tls options", name, join_errors(errors)});
        continue;
      }
      if (c.options.name == "default" &&
          std::any_of(table.tls_options.begin(), table.tls_options.end(),
                      [](auto& o) { return o.name.starts_with("default@"); })) {
        table.diagnostics.push_back(
            {"tls options", name, "default TLS options are already set by another provider"});
        continue;
      }
      tls_options.insert(name);
      for (const auto& w : c.warnings) table.diagnostics.push_back({"tls options", name, w, true});
      auto o = c.options;
      o.name = name;
      table.tls_options.push_back(std::move(o));
    }
  }
  // Servers transports first: services name them.
  std::map<std::string, const model::ConfigTransport*> transports;
  std::set<std::string> rejected_transports;
  for (const auto& [provider, config] : providers) {
    std::set<std::string> seen;
    for (const auto& t : config.transports) {
      auto name = qualify(t.name, provider);
      std::vector<std::string> errors = t.errors;
      if (auto bad_name = name_problem(t.name, seen); !bad_name.empty()) errors = {bad_name};
      if (!errors.empty()) {
        rejected_transports.insert(name);
        table.diagnostics.push_back({"transport", name, join_errors(errors)});
        continue;
      }
      transports[name] = &t;
      table.transports.push_back({name, t.server_name, t.insecure_skip_verify, t.root_cas,
                                  t.cert_pem, t.key_pem, t.disable_http2});
    }
  }
  for (const auto& [provider, config] : providers) {
    std::set<std::string> seen;
    for (const auto& s : config.services) {
      auto name = qualify(s.name, provider);
      auto bad_name = name_problem(s.name, seen);
      auto errors = s.errors;
      if (auto why = model::service_options_problem(s.strategy, s.sticky, s.health_check);
          !why.empty()) {
        errors.push_back((s.source.empty() ? "" : s.source + ": ") + why);
      }
      // A service naming no transport uses the static configuration's, when there is one.
      const std::string transport =
          !s.internal.empty()    ? ""
          : !s.transport.empty() ? qualify(s.transport, provider)
          : transports.count(kDefaultTransport) || rejected_transports.count(kDefaultTransport)
              ? kDefaultTransport
              : "";
      if (rejected_transports.count(transport)) {
        errors.push_back("uses servers transport " + transport + ", which was rejected");
      } else if (!transport.empty() && !transports.count(transport)) {
        errors.push_back("uses servers transport " + transport + ", which does not exist");
      }
      if (!bad_name.empty() || !errors.empty()) {
        idx.rejected_services.insert(name);
        table.diagnostics.push_back(
            {"service", name, bad_name.empty() ? join_errors(errors) : bad_name});
        continue;
      }
      idx.services.insert(name);
      for (const auto& m : s.middlewares) {
        idx.service_middlewares[name].push_back(qualify(m, provider));
      }
      model::Service out;
      out.name = name;
      out.servers = s.servers;
      out.pass_host_header = s.pass_host_header;
      out.strategy = s.strategy;
      out.sticky = s.sticky;
      out.health_check = s.health_check;
      out.transport = s.internal.empty() ? transport : "";
      out.internal = s.internal;
      if (!transport.empty()) {
        // The transport's forwardingTimeouts are its services' timeouts (Traefik keeps them
        // on the transport; the data plane keeps them per service).
        const auto& t = *transports.at(transport);
        if (t.dial_timeout_ms) out.timeouts.connect_ms = t.dial_timeout_ms;
        if (t.response_header_timeout_ms) {
          out.timeouts.response_header_ms = t.response_header_timeout_ms;
        }
      }
      if (s.timeouts) out.timeouts = *s.timeouts;
      table.services.push_back(std::move(out));
    }
  }
  // Middlewares after every provider's services: an errors middleware may name a service of
  // another provider (`pages@file`).
  for (const auto& [provider, config] : providers) {
    std::set<std::string> seen;
    for (const auto& m : config.middlewares) {
      auto name = qualify(m.name, provider);
      std::vector<std::string> errors = m.errors;
      if (auto bad_name = name_problem(m.name, seen); !bad_name.empty()) errors = {bad_name};
      if (errors.empty() && !is_traefik_middleware_type(m.type)) {
        errors.push_back("unknown middleware type '" + m.type + "'");
      }
      std::optional<middleware_config::Spec> spec;
      if (errors.empty()) {
        std::vector<std::string> warnings;
        auto parsed = middleware_config::parse(m.type, m.options, &warnings);
        for (const auto& w : warnings) {
          table.diagnostics.push_back({"middleware", name,
                                       (m.source.empty() ? "" : m.source + ": ") + m.type + "." + w,
                                       true});
        }
        if (parsed) {
          spec = std::move(*parsed);
          if (auto why = service_reference_problem(*spec, name, idx); !why.empty()) {
            errors.push_back((m.source.empty() ? "" : m.source + ": ") + why);
          }
        } else {
          // The source names the container or file; the message names the option, as
          // "<type>.<option>: why", the way labels and the file spell it.
          std::string where = m.source.empty() ? "" : m.source + ": ";
          if (middleware_config::is_implemented(m.type)) where += m.type + ".";
          errors.push_back(where + parsed.error());
        }
      }
      if (!errors.empty()) {
        idx.rejected_middlewares.insert(name);
        table.diagnostics.push_back({"middleware", name, join_errors(errors)});
      } else {
        idx.middlewares.emplace(name, std::move(*spec));
        table.middlewares.push_back({name, m.type, m.options});
      }
    }
    seen.clear();
    for (const auto& c : config.certificates) {
      auto name = qualify(c.name, provider);
      std::vector<std::string> errors = c.errors;
      if (auto bad_name = name_problem(c.name, seen); !bad_name.empty()) errors = {bad_name};
      if (!errors.empty()) {
        // Nothing refers to a certificate by name: its hosts fall back to the default one.
        table.diagnostics.push_back({"certificate", name, join_errors(errors)});
        continue;
      }
      if (c.is_default && has_default) {
        table.diagnostics.push_back(
            {"certificate", name, "a default certificate is already set by " + has_default_from});
        continue;
      }
      if (c.is_default) has_default = true, has_default_from = name;
      table.certificates.push_back({name, c.domains, c.cert_pem, c.key_pem, c.is_default});
    }
    for (const auto& d : config.diagnostics) {
      table.diagnostics.push_back({d.kind, d.name + "@" + provider, d.message, d.warning});
    }
    for (const auto& a : config.acme_challenges) table.acme_challenges.push_back(a);
    for (auto s : config.certificate_status) {
      if (!s.certificate.empty()) s.certificate = qualify(s.certificate, provider);
      table.certificate_status.push_back(std::move(s));
    }
  }
  for (const auto& [provider, config] : providers) {
    std::set<std::string> seen;
    for (const auto& r : config.routers) {
      model::Router out;
      out.name = qualify(r.name, provider);
      auto why = name_problem(r.name, seen);
      if (why.empty()) why = router_problem(r, provider, idx, out);
      if (!why.empty()) {
        table.diagnostics.push_back({"router", out.name, why});
        continue;
      }
      if (!r.tls_options.empty()) {
        auto options = qualify(r.tls_options, provider);
        if (rejected_tls_options.count(options)) {
          table.diagnostics.push_back(
              {"router", out.name, "uses TLS options " + options + ", which were rejected"});
          continue;
        }
        if (!tls_options.count(options)) {
          table.diagnostics.push_back(
              {"router", out.name, "uses TLS options " + options + ", which do not exist"});
          continue;
        }
        out.tls_options = options;
      }
      out.rule = r.rule;
      out.priority = r.priority;
      out.entrypoints = r.entrypoints;
      out.tls = r.tls;
      table.routers.push_back(std::move(out));
    }
  }
  compile_streams(providers, tls_options, rejected_tls_options, table);
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(table.routers.begin(), table.routers.end(), by_name);
  std::sort(table.services.begin(), table.services.end(), by_name);
  std::sort(table.certificates.begin(), table.certificates.end(), by_name);
  std::sort(table.middlewares.begin(), table.middlewares.end(), by_name);
  std::sort(table.transports.begin(), table.transports.end(), by_name);
  std::sort(table.tls_options.begin(), table.tls_options.end(), by_name);
  std::stable_sort(table.diagnostics.begin(), table.diagnostics.end(),
                   [](const auto& a, const auto& b) {
                     return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
                   });
  return table;
}

std::map<std::string, std::size_t> rejected_by_kind(const model::RoutingTable& table) {
  std::map<std::string, std::size_t> out;
  for (const auto& d : table.diagnostics) {
    if (!d.warning) ++out[d.kind];
  }
  return out;
}

}  // namespace wharf::controller::compiler
