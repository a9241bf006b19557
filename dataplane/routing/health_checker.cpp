#include "dataplane/routing/health_checker.hpp"
#include "dataplane/io/stream.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dataplane/proxy/connect.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::routing {
namespace {

using ms = std::chrono::milliseconds;

// One request on a fresh connection; healthy when the expected status comes back in time.
awaitable<bool> probe(const CompiledServer& server, const model::HealthCheck& hc,
                      HealthChecker::Generation& gen, std::string& why) {
  Stream s(co_await asio::this_coro::executor);
  gen.probes.insert(&s);
  struct Unregister {
    HealthChecker::Generation& gen;
    Stream* s;
    ~Unregister() { gen.probes.erase(s); }
  } unregister{gen, &s};
  s.expires_after(ms(hc.timeout_ms));
  auto ep = server.endpoint;
  if (hc.port != 0) ep.port(static_cast<std::uint16_t>(hc.port));
  auto [cec] = co_await s.async_connect(ep, kNoThrow);
  if (cec) {
    why = "connect: " + s.outcome(cec).message();
    co_return false;
  }
  // The check talks the server's own scheme unless its `scheme` says otherwise (Traefik's
  // healthCheck.scheme); an https check of an http server verifies as the default transport.
  const bool tls = hc.scheme.empty() ? server.tls != nullptr : hc.scheme == "https";
  if (tls) {
    error_code hec = co_await proxy::start_client_tls(
        s, server, ms(hc.timeout_ms),
        server.tls ? server.tls.get() : tls::default_upstream_tls().get());
    if (hec) {
      why = "TLS: " + hec.message();
      co_return false;
    }
  }
  http::request<http::empty_body> req;
  req.method_string(hc.method);
  req.target(hc.path);
  req.version(11);
  req.set(http::field::host, hc.hostname.empty() ? server.authority : hc.hostname);
  req.set(http::field::user_agent, "wharf-health-check");
  for (const auto& [name, value] : hc.headers) req.set(name, value);
  req.keep_alive(false);
  auto [wec, wn] = co_await http::async_write(s, req, kNoThrow);
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // The head decides; the body is not read.
  error_code rec = wec;
  if (!wec)
    std::tie(rec, std::ignore) = co_await http::async_read_header(s, buffer, parser, kNoThrow);
  if (rec) {
    why =
        s.timed_out() ? "no answer within " + std::to_string(hc.timeout_ms) + " ms" : rec.message();
    co_return false;
  }
  const unsigned status = parser.get().result_int();
  const bool ok = hc.status != 0 ? status == hc.status : status >= 200 && status < 400;
  if (!ok) why = "status " + std::to_string(status);
  co_return ok;
}

awaitable<void> probe_loop(std::shared_ptr<const CompiledTable> table,
                           const CompiledService* service, const CompiledServer* server,
                           model::HealthCheck hc, std::shared_ptr<HealthChecker::Generation> gen) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  gen->timers.insert(&timer);
  while (gen->running) {
    std::string why;
    const bool ok = co_await probe(*server, hc, *gen, why);
    if (!gen->running) break;  // A newer table took over, or a drain, while this probe ran.
    if (ok != server->state->healthy()) {
      if (ok) {
        log::info("health: service " + service->name + ": " + server->url + " is healthy again");
      } else {
        log::warn("health: service " + service->name + ": " + server->url + " " + hc.path +
                  " failed (" + why + "); it takes no new requests until a check passes");
      }
    }
    server->state->set_healthy(ok);
    timer.expires_after(ms(hc.interval_ms));
    co_await timer.async_wait(kNoThrow);
  }
  gen->timers.erase(&timer);
  (void)table;  // Held so `service` and `server` outlive the loop.
}

}  // namespace

void HealthChecker::update(std::shared_ptr<const CompiledTable> table) {
  stop();
  current_ = std::make_shared<Generation>();
  for (const auto& service : table->services()) {
    if (!service->health_check) continue;
    for (const auto& server : service->servers) {
      if (!server.resolve_error.empty()) continue;
      asio::co_spawn(io_,
                     probe_loop(table, service.get(), &server, *service->health_check, current_),
                     asio::detached);
    }
  }
}

void HealthChecker::stop() {
  if (!current_) return;
  current_->running = false;
  for (auto* t : current_->timers) t->cancel();
  for (auto* p : current_->probes) p->cancel();
  current_.reset();
}

}  // namespace wharf::dataplane::routing
