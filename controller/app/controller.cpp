#include "controller/app/controller.hpp"

#include <csignal>
#include <optional>
#include <ostream>

#include <boost/asio/signal_set.hpp>

#include "controller/app/metrics.hpp"
#include "controller/compiler/compiler.hpp"
#include "controller/docker/docker_provider.hpp"
#include "controller/file/file_provider.hpp"
#include "controller/kubernetes/kube_provider.hpp"
#include "controller/provider/aggregator.hpp"
#include "controller/publisher/publisher.hpp"
#include "httpd/admin_server.hpp"
#include "log/log.hpp"

namespace wharf::controller {
namespace {

std::vector<std::string> enabled_providers(const Options& o) {
  std::vector<std::string> out;
  if (!o.docker_endpoint.empty()) out.push_back("docker");
  if (!o.file.empty()) out.push_back("file");
  if (o.kube) out.push_back("kubernetes");
  if (!o.acme.empty()) out.push_back("acme");
  return out;
}

// Coroutines here report failures as values; an exception escaping one is a bug worth a crash
// report rather than a silently dead provider.
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

}  // namespace

int run(const Options& o) {
  asio::io_context io(1);
  auto ex = io.get_executor();
  Stats stats;
  Publisher publisher(ex, o.control_socket, stats);
  Aggregator aggregator(ex, enabled_providers(o), o.throttle, o.initial_sync_timeout, stats,
                        [&](const model::RoutingTable& t) { publisher.publish(t); });
  aggregator.set_entrypoints(o.entrypoints);
  aggregator.set_routing(o.routing);
  for (const auto& w : o.warnings) log::warn(w);
  aggregator.start();
  // What the static configuration defines itself: not waited for, it is there from the start.
  if (o.internal != model::ProviderConfig{}) aggregator.update("internal", o.internal);

  std::optional<acme::Manager> acme_manager;
  if (!o.acme.empty()) {
    acme_manager.emplace(ex, o.acme, o.kube, stats,
                         [&](model::ProviderConfig c) { aggregator.update("acme", std::move(c)); });
    if (auto ok = acme_manager->prepare(); !ok) {
      log::error(ok.error());
      return 1;
    }
    aggregator.on_certificate_requests(
        [&](std::vector<CertificateRequest> r) { acme_manager->want(std::move(r)); });
    publisher.on_applied([&](const model::RoutingTable& t) { acme_manager->applied(t); });
    asio::co_spawn(io, acme_manager->run(), rethrow);
  }

  std::optional<docker::DockerProvider> docker_provider;
  if (!o.docker_endpoint.empty()) {
    docker_provider.emplace(
        ex, *docker::parse_endpoint(o.docker_endpoint), o.docker, stats,
        [&](model::ProviderConfig c) { aggregator.update("docker", std::move(c)); });
    asio::co_spawn(io, docker_provider->run(), rethrow);
  }
  std::optional<file::FileProvider> file_provider;
  if (!o.file.empty()) {
    file_provider.emplace(ex, o.file, stats, [&](model::ProviderConfig c) {
      aggregator.update("file", std::move(c));
    });
    asio::co_spawn(io, file_provider->run(), rethrow);
  }
  std::optional<kubernetes::KubeProvider> kube_provider;
  if (o.kube) {
    kube_provider.emplace(ex, *o.kube, o.kube_options, stats, [&](model::ProviderConfig c) {
      aggregator.update("kubernetes", std::move(c));
    });
    if (auto ok = kube_provider->init(); !ok) {
      log::error("kubernetes: " + ok.error());
      return 1;
    }
    aggregator.on_diagnostics(
        [&](const std::vector<model::Diagnostic>& d) { kube_provider->compiled(d); });
    asio::co_spawn(io, kube_provider->run(), rethrow);
  }
  asio::co_spawn(io, publisher.run(), rethrow);

  bool stopping = false;
  httpd::AdminServer metrics_server(io, [&](const httpd::AdminRequest& r) -> httpd::AdminResponse {
    const std::string text = "text/plain; charset=utf-8";
    if (r.path == "/metrics") {
      return {200, "text/plain; version=0.0.4; charset=utf-8", expose_metrics(stats), {}};
    }
    if (r.path == "/healthz") return {200, text, "ok\n", {}};
    if (r.path == "/readyz") {
      if (stopping) return {503, text, "stopping\n", {}};
      if (!aggregator.synced()) return {503, text, "providers not synced yet\n", {}};
      return {200, text, "ready\n", {}};
    }
    return {404, text, "404 Not Found\n", {}};
  });
  if (o.metrics_enabled) {
    auto port = metrics_server.listen(o.metrics_host, o.metrics_port);
    if (!port) {
      log::error("controller: " + port.error());
      return 1;
    }
    log::info("controller: metrics address=" + (o.metrics_host.empty() ? "*" : o.metrics_host) +
              ":" + std::to_string(*port) + " (/metrics, /healthz, /readyz)");
    metrics_server.start();
  }

  asio::steady_timer stop_deadline(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](error_code ec, int sig) {
    if (ec) return;
    log::info(std::string("controller: ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
              "; stopping (the data plane keeps serving the last table)");
    stopping = true;
    if (acme_manager) acme_manager->stop();
    aggregator.stop();
    publisher.stop();
    metrics_server.stop();
    if (!kube_provider) return io.stop();
    // Hand the leader lease over so another replica writes status at once instead of after
    // the lease duration; bounded, so an unreachable API server cannot hold up the exit.
    stop_deadline.expires_after(std::chrono::seconds(2));
    stop_deadline.async_wait([&](error_code) { io.stop(); });
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          co_await kube_provider->stop();
          io.stop();
        },
        asio::detached);
  });
  std::string providers;
  for (const auto& p : enabled_providers(o)) providers += (providers.empty() ? "" : ", ") + p;
  log::info("controller: providers " + providers + "; publishing to " + o.control_socket);
  io.run();
  return 0;
}

// One sync of a provider on `io`, for --check.
template <typename Provider>
model::Result<model::ProviderConfig> sync_now(asio::io_context& io, Provider& provider) {
  std::optional<model::Result<model::ProviderConfig>> result;
  asio::co_spawn(
      io, [&]() -> awaitable<void> { result.emplace(co_await provider.sync_once()); }, rethrow);
  io.restart();
  io.run();
  if (!result) return model::Error{"no result"};
  return std::move(*result);
}

int check(const Options& o, std::ostream& out) {
  asio::io_context io(1);
  Stats stats;
  compiler::ProviderConfigs configs;
  bool provider_failed = false;
  auto take = [&](const std::string& name, model::Result<model::ProviderConfig> r) {
    if (r) {
      configs[name] = std::move(*r);
    } else {
      provider_failed = true;
      out << name << ": " << r.error() << "\n";
    }
  };
  if (!o.docker_endpoint.empty()) {
    docker::DockerProvider provider(io.get_executor(), *docker::parse_endpoint(o.docker_endpoint),
                                    o.docker, stats, [](model::ProviderConfig) {});
    take("docker", sync_now(io, provider));
  }
  if (o.kube) {
    kubernetes::KubeProvider provider(io.get_executor(), *o.kube, o.kube_options, stats,
                                      [](model::ProviderConfig) {});
    auto ok = provider.init();
    take("kubernetes", ok ? sync_now(io, provider) : model::Error{ok.error()});
  }
  if (!o.file.empty()) take("file", file::FileProvider::load(o.file));
  if (o.internal != model::ProviderConfig{}) configs["internal"] = o.internal;
  compiler::apply_entrypoints(configs, o.routing);
  auto table = compiler::compile(configs);
  print_table(table, out);
  std::size_t warnings = o.warnings.size(), rejected = 0;
  for (const auto& d : table.diagnostics) (d.warning ? warnings : rejected) += 1;
  if (!o.warnings.empty()) {
    out << "static configuration " << o.configfile << " (" << o.warnings.size() << " warnings):\n";
    for (const auto& w : o.warnings) out << "  " << w << "\n";
  }
  out << (rejected || provider_failed ? "FAIL"
          : warnings && o.strict      ? "FAIL (--strict)"
                                      : "OK")
      << ": " << table.routers.size() << " routers served, " << rejected << " objects rejected, "
      << warnings << " warnings\n";
  return provider_failed || rejected || (o.strict && warnings) ? 1 : 0;
}

void print_table(const model::RoutingTable& table, std::ostream& out) {
  out << "routers (" << table.routers.size() << "):\n";
  for (const auto& r : table.routers) {
    out << "  " << r.name << "  " << r.rule << "  -> " << r.service;
    if (!r.entrypoints.empty()) {
      out << "  entrypoints=";
      for (std::size_t i = 0; i < r.entrypoints.size(); ++i)
        out << (i ? "," : "") << r.entrypoints[i];
    }
    out << "  priority=" << r.effective_priority() << (r.tls ? "  tls" : "");
    for (std::size_t i = 0; i < r.middlewares.size(); ++i)
      out << (i ? "," : "  middlewares=") << r.middlewares[i];
    out << "\n";
  }
  out << "services (" << table.services.size() << "):\n";
  for (const auto& s : table.services) {
    out << "  " << s.name << " ";
    if (s.servers.empty()) out << " (no servers: answers 503)";
    for (const auto& srv : s.servers) out << " " << srv.url;
    out << "\n";
  }
  out << "middlewares (" << table.middlewares.size() << "):\n";
  for (const auto& m : table.middlewares) out << "  " << m.name << "  " << m.type << "\n";
  // Names and domains only: the key material stays out of terminals and logs.
  out << "certificates (" << table.certificates.size() << "):\n";
  for (const auto& c : table.certificates) {
    out << "  " << c.name << " ";
    for (const auto& d : c.domains) out << " " << d;
    out << (c.is_default ? "  (default)" : "") << "\n";
  }
  std::size_t rejected = 0;
  for (const auto& d : table.diagnostics) rejected += d.warning ? 0 : 1;
  out << "rejected (" << rejected << "):\n";
  for (const auto& d : table.diagnostics) {
    if (!d.warning) out << "  " << d.kind << " " << d.name << ": " << d.message << "\n";
  }
  if (rejected == table.diagnostics.size()) return;
  out << "warnings (" << table.diagnostics.size() - rejected << "):\n";
  for (const auto& d : table.diagnostics) {
    if (d.warning) out << "  " << d.kind << " " << d.name << ": " << d.message << "\n";
  }
}

}  // namespace wharf::controller
