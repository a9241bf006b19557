#include "dataplane/server/dataplane.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "dataplane/admin/api.hpp"
#include "dataplane/admin/dashboard.hpp"
#include "dataplane/io/block_cache.hpp"
#include "dataplane/tls/server_context.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::server {

namespace {

std::vector<std::string> entrypoint_names(const Options& o) {
  std::vector<std::string> out;
  for (const auto& ep : o.entrypoints) out.push_back(ep.name);
  return out;
}

}  // namespace

Dataplane::Dataplane(Options options)
    : options_(std::move(options)),
      metrics_(entrypoint_names(options_), options_.metrics_buckets, options_.threads),
      admin_(control_io_, [this](const httpd::AdminRequest& r) { return admin(r); }),
      state_(options_.state_dir),
      control_(
          control_io_, options_.control_socket,
          [this](model::RoutingTable table) {
            auto compiled = compile(std::move(table));
            if (!compiled) metrics_.table_rejected();
            return compiled;
          },
          [this](auto table, auto done) { install(std::move(table), std::move(done)); },
          [this](const model::RoutingTable& t) { persist(t); }) {}

Dataplane::~Dataplane() {
  for (auto& w : workers_) w->io().stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

model::Status Dataplane::start() {
  // The default certificate is made now, not by the first TLS client, which would wait for it.
  tls::default_context();
  if (options_.access_log != "off") {
    auto log = metrics::AccessLog::open(options_.access_log, options_.access_log_json,
                                        options_.redact, options_.access_log_queue, &metrics_);
    if (!log) return model::Error{log.error()};
    access_log_ = std::move(*log);
  }
  for (unsigned i = 0; i < options_.threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(options_, i, metrics_, access_log_.get()));
    workers_.back()->set_admin(control_io_.get_executor(),
                               [this](const httpd::AdminRequest& r) { return admin(r); });
  }
  for (const auto& ep : options_.entrypoints) {
    std::uint16_t port = ep.port;
    for (auto& w : workers_) {
      auto ok = w->listen(ep, port);
      if (!ok) return model::Error{ok.error()};
    }
    bound_.push_back({ep.name, port});
    log::info("entrypoint=" + ep.name + " address=" + (ep.host.empty() ? "*" : ep.host) + ":" +
              std::to_string(port) + (ep.udp ? "/udp" : ""));
  }
  if (options_.admin_enabled) {
    auto port = admin_.listen(options_.admin.host, options_.admin.port);
    if (!port) return model::Error{port.error()};
    admin_port_ = *port;
    log::info("admin address=" + (options_.admin.host.empty() ? "*" : options_.admin.host) + ":" +
              std::to_string(admin_port_) + " (/metrics, /healthz, /readyz, /api, /dashboard/)");
  }
  if (auto ok = control_.listen(); !ok) return ok;
  log::info("control socket " + options_.control_socket + " ready");
  load_state();
  for (auto& w : workers_) {
    w->start();
    threads_.emplace_back([w = w.get()] {
      block_cache::enable_for_this_thread();
      w->io().run();
      block_cache::release_this_thread();
    });
  }
  control_.start();
  if (options_.admin_enabled) admin_.start();
  return model::kOk;
}

void Dataplane::load_state() {
  if (!state_.enabled()) return;
  auto loaded = state_.load();
  if (!loaded) {
    log::error("state: " + loaded.error() + "; starting with an empty table");
    return;
  }
  if (!*loaded) return;
  auto compiled = compile(std::move(**loaded));
  if (!compiled) {
    log::error("state: " + state_.path() + ": " + compiled.error() +
               "; starting with an empty table");
    return;
  }
  // Workers are not running yet, so setting their table directly is safe.
  for (auto& w : workers_) w->set_table(*compiled);
  health_.update(*compiled);
  current_ = *compiled;
  metrics_.table_applied(current_->version());
  log::info("state: serving table version " + std::to_string((*compiled)->version()) + " from " +
            state_.path());
}

model::Result<std::shared_ptr<const routing::CompiledTable>> Dataplane::compile(
    model::RoutingTable table) const {
  std::map<std::string, std::uint16_t> ports;
  for (const auto& b : bound_) ports[b.name] = b.port;
  return routing::CompiledTable::build(std::move(table), ports);
}

void Dataplane::install(std::shared_ptr<const routing::CompiledTable> table,
                        std::function<void()> done) {
  health_.update(table);
  current_ = table;
  metrics_.table_applied(table->version());
  auto remaining = std::make_shared<std::atomic<std::size_t>>(workers_.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& w : workers_) {
    asio::post(w->io(), [this, w = w.get(), table, remaining, shared_done] {
      w->set_table(table);
      if (remaining->fetch_sub(1) == 1) asio::post(control_io_, *shared_done);
    });
  }
}

void Dataplane::persist(const model::RoutingTable& table) {
  if (!state_.enabled()) return;
  if (auto ok = state_.save(table); !ok) log::error("state: " + ok.error());
}

void Dataplane::stop() {
  asio::post(control_io_, [this] { begin_drain(); });
}

void Dataplane::begin_drain() {
  if (draining_) return;
  draining_ = true;
  log::info("draining: no new connections; in-flight requests get " +
            std::to_string(options_.drain_timeout_ms / 1000) + " s");
  control_.stop();
  health_.stop();
  if (signals_) signals_->cancel();
  for (auto& w : workers_) asio::post(w->io(), [w = w.get()] { w->begin_drain(); });
  asio::co_spawn(control_io_, finish_drain(), asio::detached);
}

awaitable<void> Dataplane::finish_drain() {
  auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.drain_timeout_ms);
  asio::steady_timer tick(control_io_);
  // A worker's io_context returns from run() once its last connection has closed.
  auto all_stopped = [&] {
    for (auto& w : workers_) {
      if (!w->io().stopped()) return false;
    }
    return true;
  };
  while (!all_stopped() && std::chrono::steady_clock::now() < until) {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(kNoThrow);
  }
  for (auto& w : workers_) w->io().stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  std::size_t cut = 0;
  for (auto& w : workers_) cut += w->session_count();
  if (cut > 0) log::warn("drain: " + std::to_string(cut) + " connections cut at the deadline");
  log::info("drained; exiting");
  admin_.stop();
  if (access_log_) access_log_->flush();
  guard_.reset();
}

void Dataplane::wait_for_signals() {
  signals_->async_wait([this](const error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      // logrotate moved the access log away: write to a fresh file from now on.
      if (access_log_) access_log_->reopen();
      wait_for_signals();
      return;
    }
    begin_drain();
  });
}

void Dataplane::run(bool handle_signals) {
  if (handle_signals) {
    signals_.emplace(control_io_, SIGTERM, SIGINT, SIGHUP);
    wait_for_signals();
  }
  control_io_.run();
}

httpd::AdminResponse Dataplane::admin(const httpd::AdminRequest& req) {
  if (req.path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n", {}};
  if (req.path == "/readyz") {
    // Orchestrators stop sending traffic to a draining data plane, and send none before it
    // has a table to route by.
    if (draining_) return {503, "text/plain; charset=utf-8", "draining\n", {}};
    if (!current_) return {503, "text/plain; charset=utf-8", "no routing table yet\n", {}};
    return {200,
            "text/plain; charset=utf-8",
            "ready: table version " + std::to_string(current_->version()) + "\n",
            {}};
  }
  if (req.path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.expose(current_.get()), {}};
  }
  if (req.path == "/" || req.path == "/dashboard") {
    return {302, "text/plain; charset=utf-8", "", {{"Location", "/dashboard/"}}};
  }
  if (req.path == "/dashboard/") {
    return {200, "text/html; charset=utf-8", std::string(admin::dashboard_html()), {}};
  }
  if (req.path.starts_with("/api/")) {
    admin::ApiState state;
    state.table = current_.get();
    for (const auto& b : bound_) state.entrypoints.emplace_back(b.name, b.port);
    state.metrics = &metrics_;
    return admin::api(req, state);
  }
  return {404, "text/plain; charset=utf-8", "404 Not Found\n", {}};
}

}  // namespace wharf::dataplane::server
