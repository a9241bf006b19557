#include "dataplane/proxy/exchange.hpp"

#include "dataplane/middleware/breaker.hpp"
#include "dataplane/server/request_id.hpp"
#include "dataplane/server/worker.hpp"
#include "rules/ast.hpp"

namespace wharf::dataplane::proxy {
namespace {

using server::LocalReason;

class FieldsLookup : public rules::HeaderLookup {
 public:
  explicit FieldsLookup(const http::fields& f) : fields_(f) {}
  bool any_value(std::string_view name,
                 model::FunctionRef<bool(std::string_view)> pred) const override {
    auto [lo, hi] = fields_.equal_range(name);
    for (auto it = lo; it != hi; ++it) {
      if (pred(it->value())) return true;
    }
    return false;
  }

 private:
  const http::fields& fields_;
};

// HTTP-01 validations (RFC 8555 section 8.3) are answered ahead of redirects and routers.
constexpr std::string_view kAcmePrefix = "/.well-known/acme-challenge/";

}  // namespace

std::string_view protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kHttp10:
      return "HTTP/1.0";
    case Protocol::kHttp11:
      return "HTTP/1.1";
    case Protocol::kHttp2:
      return "HTTP/2.0";
  }
  return "HTTP/1.1";
}

std::string_view protocol_label(Protocol p) {
  switch (p) {
    case Protocol::kHttp10:
      return "1.0";
    case Protocol::kHttp11:
      return "1.1";
    case Protocol::kHttp2:
      return "2";
  }
  return "1.1";
}

Exchange::Exchange(server::Worker& worker, const ConnectionFacts& connection)
    : worker_(worker), connection_(connection) {}

void Exchange::reset() {
  record_.started = false;
  record_.route = 0;
  record_.report = {};
  record_.logged = false;
  response_ops_.clear();
  holds_.clear();
  policy_.clear();
  ep_redirect_ = nullptr;
  router_ = nullptr;
  server_ = nullptr;
  new_request_id_ = false;
  table_.reset();
}

void Exchange::begin(http::verb method) {
  record_.started = true;
  record_.start = std::chrono::steady_clock::now();
  record_.method = metrics::method_of(method);
  // Taken once the head is here, so a request arriving after a swap sees the new table, and
  // kept to the end of the request even if another swap happens meanwhile.
  table_ = worker_.table();
}

awaitable<bool> Exchange::refuse(Downstream& down, LocalReason reason, std::string_view detail) {
  co_return co_await answer_locally(down, policy_, page_, worker_.pool(), response_ops_,
                                    record_.report, reason, false, detail);
}

// The order matters and is the same for every protocol: ACME validations come before
// anything the routers could do to them; the entrypoint's redirection and the router's
// middlewares (authentication among them) run before a server is picked, so a refused request
// never costs a server a connection; the server is picked last, when the request will go.
awaitable<bool> Exchange::run(IncomingRequest& in, Downstream& down) {
  // Whatever way the request ends, what its middlewares hold (an in-flight slot) is let go.
  struct Release {
    std::vector<std::shared_ptr<void>>& holds;
    ~Release() { holds.clear(); }
  } release{holds_};
  auto& req = in.head;
  rules::normalize_host(in.host, host_);
  rules::normalize_path(in.path, path_);
  client_ = compute_client(
      connection_.peer, connection_.peer_text,
      connection_.trusted ? *connection_.trusted : worker_.options().trusted_proxies, req);
  // Taken (or made) before any reply, so that every log line has it.
  new_request_id_ = server::take_request_id(req, record_.request_id);
  if (worker_.access_log()) {
    // Copied now: the head's fields move upstream with the request.
    auto& r = record_;
    r.logged = true;
    r.wall = std::chrono::system_clock::now();
    r.method_name.assign(req.method_string());
    r.target.assign(req.target());
    r.host.assign(in.host);
    r.user_agent.assign(req[http::field::user_agent]);
    r.referer.assign(req[http::field::referer]);
    r.client = client_.client_text();
    r.router.clear();
    r.service.clear();
    r.upstream.clear();
  }
  FieldsLookup headers(req);
  const rules::RequestView view{req.method_string(), host_,          path_, in.query, &headers,
                                &client_.client,     connection_.tls};
  const bool keep = in.keep_alive && !worker_.draining();
  target_ = in.target;

  if (auto v = acme_challenge(in)) co_return co_await answer(down, v, keep, in);
  if (auto v = route(in, view)) co_return co_await answer(down, v, keep, in);
  // A named local, not `if (auto v = co_await ...)`: GCC 12 (see HttpSession::run).
  const Verdict filtered = co_await apply_middlewares(in, view);
  if (filtered) co_return co_await answer(down, filtered, keep, in);
  if (!router_->service->internal.empty()) {
    const Verdict internal = co_await internal_service(in);
    co_return co_await answer(down, internal, keep, in);
  }
  if (auto v = pick_server(in)) co_return co_await answer(down, v, keep, in);
  co_return co_await forward(in, down);
}

Exchange::Verdict Exchange::acme_challenge(const IncomingRequest&) {
  // On every plain-HTTP entrypoint, for the tokens the controller has pending; any other path
  // under /.well-known/ (Immich's, say) routes as usual.
  if (!table_ || connection_.tls || !path_.starts_with(kAcmePrefix)) return {};
  const auto* answer = table_->acme_http_answer(std::string_view(path_).substr(kAcmePrefix.size()));
  if (!answer) return {};
  return {std::nullopt,
          middleware::Reply{200, {{"Content-Type", "application/octet-stream"}}, *answer}};
}

Exchange::Verdict Exchange::route(const IncomingRequest&, const rules::RequestView& view) {
  if (!table_) return {LocalReason::kNoRoute, std::nullopt};
  ep_redirect_ = connection_.tls ? nullptr : table_->entrypoint_redirect(connection_.entrypoint);
  router_ = ep_redirect_ ? nullptr : table_->match(connection_.entrypoint, view);
  if (!router_ && !ep_redirect_) return {LocalReason::kNoRoute, std::nullopt};
  if (!router_) return {};
  note_router(*router_);
  // A request for a host whose router wants other TLS options than this connection got (it
  // named another host in SNI) is refused, as Traefik does: the options, client certificates
  // among them, were chosen for the name the handshake gave.
  if (connection_.tls && table_->certificates().has_options()) {
    const auto* fallback = table_->certificates().options_for("");
    const std::string& wanted = !router_->tls_options.empty() ? router_->tls_options
                                : fallback                    ? fallback->name()
                                                              : std::string();
    if (wanted != connection_.tls_options) return {LocalReason::kMisdirected, std::nullopt};
  }
  return {};
}

awaitable<Exchange::Verdict> Exchange::apply_middlewares(IncomingRequest& in,
                                                         const rules::RequestView& view) {
  if (!ep_redirect_ && router_->middlewares.empty()) co_return Verdict{};
  auto& req = in.head;
  raw_path_.assign(in.path);
  raw_query_.assign(in.query);
  // In the fields before middlewares run, so forward auth and the server see the same.
  if (new_request_id_) req.insert("X-Request-Id", record_.request_id);
  new_request_id_ = false;
  middleware::Request mreq{
      req,     req.method_string(), host_,  raw_path_, raw_query_, connection_.tls,
      client_, response_ops_,       holds_, policy_};
  if (ep_redirect_) {
    if (auto r = ep_redirect_->handle(mreq)) co_return Verdict{std::nullopt, std::move(r)};
    router_ = table_->match(connection_.entrypoint, view);  // A trusted proxy terminated TLS.
    if (!router_) co_return Verdict{LocalReason::kNoRoute, std::nullopt};
    note_router(*router_);
  }
  for (const auto* m : router_->middlewares) {
    std::optional<middleware::Reply> r;
    if (m->is_async()) {
      middleware::AsyncContext ctx{worker_.pool(), co_await asio::this_coro::executor};
      r = co_await m->handle_async(mreq, ctx);
    } else {
      r = m->handle(mreq);
    }
    if (r) co_return Verdict{std::nullopt, std::move(r)};
  }
  if (mreq.path_changed) {
    origin_target_ = raw_path_;
    if (!raw_query_.empty()) origin_target_.append("?").append(raw_query_);
    target_ = origin_target_;
  }
  co_return Verdict{};
}

// Traefik's internal services: the data plane's own answers given through the user's router,
// so its host rule and middlewares (an auth middleware above all) apply as in Traefik. The API
// and dashboard are made on the control thread (Worker::admin), as on the admin address.
awaitable<Exchange::Verdict> Exchange::internal_service(const IncomingRequest& in) {
  const std::string& kind = router_->service->internal;
  const auto text = [](unsigned status, std::string body) {
    return Verdict{std::nullopt,
                   middleware::Reply{
                       status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)}};
  };
  if (kind == "noop") {  // Traefik's answer: a teapot, for routers that only redirect.
    co_return Verdict{std::nullopt, middleware::Reply{418, {}, {}, true}};
  }
  if (kind == "ping") co_return text(200, "OK");
  const auto method = in.head.method();
  if (method != http::verb::get && method != http::verb::head) {
    co_return text(405, "405 Method Not Allowed: the API is read-only\n");
  }
  httpd::AdminRequest req;
  req.method = std::string(in.head.method_string());
  const std::string_view t = target_;
  const auto q = t.find('?');
  req.path = std::string(t.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(t.substr(q + 1));
  if (kind == "prometheus") {
    req.path = "/metrics";
  } else if (req.path == "/metrics" || req.path == "/healthz" || req.path == "/readyz") {
    co_return text(404, "404 Not Found\n");  // Not the API's: prometheus@ and ping@internal.
  }
  auto res = co_await worker_.admin(std::move(req));
  middleware::Reply r{res.status, std::move(res.headers), std::move(res.body)};
  r.headers.emplace_back("Content-Type", std::move(res.content_type));
  co_return Verdict{std::nullopt, std::move(r)};
}

Exchange::Verdict Exchange::pick_server(const IncomingRequest& in) {
  if (!policy_.errors.empty()) capture_page_request(in);
  const auto& service = *router_->service;
  std::string sticky_cookie;
  // The Cookie field is looked up only for a service with sticky sessions.
  server_ =
      service.pick(service.sticky_name.empty() ? std::string_view()
                                               : std::string_view(in.head[http::field::cookie]),
                   &sticky_cookie);
  if (!server_) return {LocalReason::kNoServer, std::nullopt};
  if (server_->unresolved) return {LocalReason::kUnresolvedBackend, std::nullopt};
  if (!sticky_cookie.empty()) {
    response_ops_.push_back(
        {middleware::HeaderOp::Kind::kAppend, "Set-Cookie", std::move(sticky_cookie)});
  }
  return {};
}

awaitable<bool> Exchange::forward(IncomingRequest&, Downstream& down) {
  auto& ep = worker_.metrics().entrypoint(connection_.ep_index);
  ForwardContext ctx{down,
                     *router_->service,
                     server_,
                     client_,
                     connection_.tls ? "https" : "http",
                     target_,
                     new_request_id_ ? std::string_view(record_.request_id) : std::string_view(),
                     table_->entrypoint_timeouts(connection_.entrypoint),
                     worker_.pool(),
                     worker_.h2_pool(),
                     worker_.draining(),
                     response_ops_,
                     policy_,
                     page_,
                     record_.report,
                     ep.tunnels};
  const bool keep = co_await down.relay(ctx);
  record_outcome();
  co_return keep;
}

void Exchange::record_outcome() {
  const auto& report = record_.report;
  auto& m = worker_.metrics();
  const auto& service = *router_->service;
  for (unsigned i = 0; i < report.connect_errors; ++i) m.upstream_connect_error(service.name);
  for (unsigned i = 0; i < report.timeouts; ++i) m.upstream_timeout(service.name);
  if (record_.logged && report.server) record_.upstream = report.server->url;
  if (!policy_.breakers.empty()) {
    auto now = std::chrono::steady_clock::now();
    for (auto* b : policy_.breakers) {
      b->record(now, report.status, report.upstream_failed, report.upstream_time);
    }
  }
}

awaitable<bool> Exchange::answer(Downstream& down, const Verdict& v, bool keep_alive,
                                 const IncomingRequest& in) {
  // Looked up only when a reply goes out here (a forwarded request's relay notes it as it
  // makes the upstream head).
  down.set_grpc(server::is_grpc(in.head[http::field::content_type]));
  if (v.reply) {
    record_.report.status = v.reply->status;
    co_return co_await down.send_reply(*v.reply, response_ops_, keep_alive);
  }
  co_return co_await answer_locally(down, policy_, page_, worker_.pool(), response_ops_,
                                    record_.report, *v.local, keep_alive);
}

void Exchange::note_router(const routing::CompiledRouter& r) {
  record_.route = r.metrics_route;
  if (record_.logged) {
    record_.router = r.name;
    record_.service = r.service->name;
  }
}

void Exchange::capture_page_request(const IncomingRequest& in) {
  const auto& req = in.head;
  page_.host.assign(req[http::field::host]);
  page_.url.assign(target_);
  page_.accept.assign(req[http::field::accept]);
  page_.accept_language.assign(req[http::field::accept_language]);
}

void Exchange::finish(Protocol protocol) {
  if (!record_.started) return;
  auto& r = record_;
  const auto& rep = r.report;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
  worker_.stats().record({connection_.ep_index, r.route, r.method, rep.status, seconds,
                          rep.request_bytes, rep.response_bytes, protocol});
  if (rep.local) {
    worker_.metrics()
        .entrypoint(connection_.ep_index)
        .local[static_cast<std::size_t>(*rep.local)]
        ->Increment();
  }
  if (!r.logged) return;
  metrics::AccessEntry e;
  e.time = r.wall;
  e.entrypoint = connection_.entrypoint;
  e.client = r.client;
  e.method = r.method_name;
  e.host = r.host;
  e.target = r.target;
  e.protocol = protocol_name(protocol);
  e.status = rep.status;
  e.bytes_in = rep.request_bytes;
  e.bytes_out = rep.response_bytes;
  e.duration_ms = seconds * 1000;
  if (rep.server) {
    e.upstream_ms = std::chrono::duration<double, std::milli>(rep.upstream_time).count();
  }
  e.router = r.router;
  e.service = r.service;
  e.upstream = r.upstream;
  e.user_agent = r.user_agent;
  e.referer = r.referer;
  e.request_id = r.request_id;
  e.tls = connection_.tls;
  worker_.access_log()->write(e);
}

static_assert(static_cast<std::size_t>(LocalReason::kUnresolvedBackend) + 1 ==
                  metrics::kLocalReplies,
              "metrics::Metrics labels local replies in LocalReason's order");

}  // namespace wharf::dataplane::proxy
