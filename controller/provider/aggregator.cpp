#include "controller/provider/aggregator.hpp"

#include "log/log.hpp"
#include "rules/parser.hpp"

namespace wharf::controller {

Aggregator::Aggregator(asio::any_io_executor ex, std::vector<std::string> providers,
                       std::chrono::milliseconds throttle,
                       std::chrono::milliseconds initial_sync_timeout, Stats& stats, Sink sink)
    : throttle_(throttle),
      initial_sync_timeout_(initial_sync_timeout),
      stats_(stats),
      sink_(std::move(sink)),
      waiting_(providers.begin(), providers.end()),
      throttle_timer_(ex),
      sync_timer_(ex) {
  for (const auto& p : providers) stats_.set("provider_synced", p, 0);
}

void Aggregator::start() {
  if (waiting_.empty()) return;
  sync_timer_.expires_after(initial_sync_timeout_);
  sync_timer_.async_wait([this](error_code ec) {
    if (ec || waiting_.empty()) return;
    std::string late;
    for (const auto& p : waiting_) late += (late.empty() ? "" : ", ") + p;
    log::warn("providers not synced after " + std::to_string(initial_sync_timeout_.count()) +
              " ms: " + late + "; publishing the providers that are");
    waited_long_enough_ = true;
    if (!latest_.empty()) schedule();
  });
}

void Aggregator::stop() {
  throttle_timer_.cancel();
  sync_timer_.cancel();
}

void Aggregator::update(const std::string& provider, model::ProviderConfig config) {
  stats_.add("provider_syncs_total", provider);
  stats_.set("provider_synced", provider, 1);
  latest_[provider] = std::move(config);
  if (waiting_.erase(provider) && waiting_.empty()) sync_timer_.cancel();
  if (!waiting_.empty() && !waited_long_enough_) return;
  schedule();
}

void Aggregator::schedule() {
  if (armed_) return;
  armed_ = true;
  throttle_timer_.expires_after(throttle_);
  throttle_timer_.async_wait([this](error_code ec) {
    armed_ = false;
    if (!ec) flush();
  });
}

void Aggregator::flush() {
  auto started = std::chrono::steady_clock::now();
  // The static configuration's entry points shape a copy; without one the configs compile as
  // they are.
  compiler::ProviderConfigs applied;
  const bool shaped = !routing_.entrypoints.empty() || !routing_.udp_entrypoints.empty();
  if (shaped) {
    applied = latest_;
    compiler::apply_entrypoints(applied, routing_);
  }
  const compiler::ProviderConfigs& configs = shaped ? applied : latest_;
  model::RoutingTable table = compiler::compile(configs);
  table.entrypoints = entrypoints_;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::debug("compiled " + std::to_string(table.routers.size()) + " routers in " +
             std::to_string(took.count()) + " ms");
  report(table);
  if (diagnostics_sink_) diagnostics_sink_(table.diagnostics);
  if (certificate_sink_) certificate_sink_(certificate_requests(table, configs));
  if (last_ && *last_ == table) {
    log::debug("configuration unchanged; nothing to publish");
    return;
  }
  last_ = table;
  sink_(table);
}

std::vector<CertificateRequest> Aggregator::certificate_requests(
    const model::RoutingTable& table, const compiler::ProviderConfigs& configs) const {
  // HTTP routers and TCP routers that terminate TLS ask alike: their tls.domains, else the
  // hosts of the rule (Host or HostSNI).
  std::set<std::string> served;
  for (const auto& r : table.routers) served.insert(r.name);
  for (const auto& r : table.tcp_routers) {
    if (r.tls == "terminate") served.insert("tcp:" + r.name);
  }
  std::vector<CertificateRequest> out;
  auto add = [&](const model::ConfigRouter& r, const std::string& name, bool tcp) {
    if (r.cert_resolver.empty() || !served.count(tcp ? "tcp:" + name : name)) return;
    std::vector<std::vector<std::string>> sets = r.cert_domains;
    if (sets.empty()) {
      auto rule = tcp ? rules::parse_tcp(r.rule) : rules::parse(r.rule);
      if (!rule) return;
      sets.push_back(rules::required_hosts(*rule));
    }
    for (auto& domains : sets) {
      if (domains.empty()) continue;
      CertificateRequest req{r.cert_resolver, std::move(domains), name};
      bool known = false;
      for (const auto& o : out) {
        known = known || (o.resolver == req.resolver && o.domains == req.domains);
      }
      if (!known) out.push_back(std::move(req));
    }
  };
  for (const auto& [provider, config] : configs) {
    for (const auto& r : config.routers) add(r, compiler::qualify(r.name, provider), false);
    for (const auto& r : config.tcp_routers) add(r, compiler::qualify(r.name, provider), true);
  }
  return out;
}

void Aggregator::report(const model::RoutingTable& table) {
  std::set<std::tuple<std::string, std::string, std::string>> now;
  for (const auto& d : table.diagnostics) {
    auto key = std::make_tuple(d.kind, d.name, d.message);
    now.insert(key);
    if (reported_.count(key)) continue;
    if (d.warning) {
      log::warn(d.kind + " " + d.name + ": " + d.message);
      continue;
    }
    log::warn("rejected " + d.kind + " " + d.name + ": " + d.message);
    stats_.add("rejected_objects_total", d.kind);
  }
  reported_ = std::move(now);
  for (const auto& kind :
       {"router", "service", "middleware", "certificate", "transport", "container", "file",
        "ingress", "configmap", "tls options", "gateway", "httproute", "grpcroute", "tcp router",
        "tcp service", "tcp transport", "udp router", "udp service"}) {
    stats_.set("rejected_objects", kind, 0);
  }
  stats_.set("table_objects", "routers", table.routers.size());
  stats_.set("table_objects", "services", table.services.size());
  stats_.set("table_objects", "middlewares", table.middlewares.size());
  stats_.set("table_objects", "certificates", table.certificates.size());
  stats_.set("table_objects", "tcp_routers", table.tcp_routers.size());
  stats_.set("table_objects", "udp_routers", table.udp_routers.size());
  for (const auto& [kind, n] : compiler::rejected_by_kind(table))
    stats_.set("rejected_objects", kind, n);
}

}  // namespace wharf::controller
