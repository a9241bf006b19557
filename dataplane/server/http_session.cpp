#include "dataplane/server/http_session.hpp"

#include "dataplane/middleware/breaker.hpp"
#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/error_page.hpp"
#include "dataplane/proxy/exchange.hpp"
#include "dataplane/server/request_head.hpp"
#include "dataplane/server/request_id.hpp"
#include "dataplane/server/worker.hpp"
#include "dataplane/tls/server_context.hpp"
#include "rules/ast.hpp"

namespace wharf::dataplane::server {
namespace {

using ms = std::chrono::milliseconds;

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

}  // namespace

HttpSession::HttpSession(Worker& worker, tcp::socket socket, const tcp::endpoint& peer,
                         std::string entrypoint)
    : worker_(worker), stream_(std::move(socket)), entrypoint_(std::move(entrypoint)) {
  const auto& a = peer.address();
  if (a.is_v4()) {
    peer_ = model::IpAddress::from_v4(a.to_v4().to_uint());
  } else {
    auto bytes = a.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), peer_.bytes.begin());
    peer_.v4 = a.to_v6().is_v4_mapped();
  }
  peer_text_ = peer_.to_string();
  worker_.add(this);
  ep_index_ = worker_.metrics().entrypoint_index(entrypoint_);
  worker_.metrics().entrypoint(ep_index_).connections->Increment();
}

HttpSession::~HttpSession() {
  worker_.metrics().entrypoint(ep_index_).connections->Decrement();
  worker_.remove(this);
}

void HttpSession::close_if_idle() {
  if (waiting_) stream_.cancel();
}

awaitable<bool> HttpSession::detect_tls() {
  // A copy: the table's certificates must outlive the handshake even if a new table arrives.
  std::shared_ptr<const routing::CompiledTable> table = worker_.table();
  model::EntryPointTimeouts timeouts;
  if (table) timeouts = table->entrypoint_timeouts(entrypoint_);
  stream_.expires_after(ms(timeouts.idle_ms));
  waiting_ = true;  // A drain closes a connection that has not said anything yet.
  auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(16 * 1024), kNoThrow);
  waiting_ = false;
  if (ec) co_return false;
  buffer_.commit(n);
  // A TLS connection opens with a handshake record (content type 22); an HTTP request opens
  // with a method token, which never starts with that byte.
  if (static_cast<const unsigned char*>(buffer_.data().data())[0] != 0x16) co_return true;
  auto& tls = stream_.start_tls(tls::default_context());
  if (table) table->certificates().attach(tls.native_handle());
  // The handshake is bounded like a request head: a client that stalls in it is a slowloris.
  stream_.expires_after(ms(timeouts.read_header_ms));
  auto [hec, used] = co_await tls.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                                                  kNoThrowAwaitable);
  buffer_.consume(buffer_.size());  // The ClientHello; nothing else may precede our reply.
  auto& counters = worker_.metrics().entrypoint(ep_index_);
  (hec ? counters.tls_failures : counters.tls_handshakes)->Increment();
  // A TLS-ALPN-01 validator has seen the certificate it came for; it sends no request.
  if (!hec && tls::is_acme_validation(tls.native_handle())) co_return false;
  if (const auto* o = tls::applied_options(tls.native_handle())) tls_options_ = o->name();
  co_return !hec;
}

awaitable<void> HttpSession::run() {
  // A named local, not `if (co_await ...)`: GCC 12 miscompiles that as a coroutine's first
  // statement (the callee sees a garbage `this`).
  const bool open = co_await detect_tls();
  if (open) {
    while (!worker_.draining() || buffer_.size() > 0) {
      // Inline rather than a coroutine of its own: one frame and one resumption fewer a request.
      start_request();
      const bool keep = co_await handle_request();
      if (record_.started) finish_request();
      if (!keep) break;
    }
  }
  // Bytes already here that no request will read count too (pipelined after a closing one).
  const bool linger = (may_be_sending_ || buffer_.size() > 0) && !worker_.draining();
  waiting_ = linger;  // Its exchanges are over: a drain closes it at once.
  co_await stream_.shutdown(ms(1000), linger);
}

awaitable<bool> HttpSession::reply(LocalReason reason, bool keep_alive, std::string_view detail) {
  record_.status = static_cast<unsigned>(status_for(reason));
  record_.local = reason;
  auto ec =
      co_await write_local_reply(stream_, reason, version_, keep_alive, head_request_, detail);
  co_return keep_alive && !ec;
}

awaitable<bool> HttpSession::reply(const middleware::Reply& r, bool keep_alive) {
  record_.status = r.status;
  auto ec = co_await write_middleware_reply(stream_, r, response_ops_, version_, keep_alive,
                                            head_request_);
  co_return keep_alive && !ec;
}

awaitable<bool> HttpSession::reply_no_server(const http::fields& req, std::string_view target,
                                             bool keep_alive) {
  if (!policy_.errors.empty()) {
    proxy::PageQuery q{req[http::field::host], target, req[http::field::accept],
                       req[http::field::accept_language]};
    auto page =
        co_await proxy::find_error_page(policy_, 503, q, worker_.pool(), stream_.get_executor());
    if (page) co_return co_await reply(*page, keep_alive);
  }
  co_return co_await reply(LocalReason::kNoServer, keep_alive);
}

void HttpSession::start_request() {
  record_.started = false;
  record_.route = 0;
  record_.status = 0;
  record_.local.reset();
  record_.report = {};
  record_.logged = false;
}

static_assert(static_cast<std::size_t>(LocalReason::kMisdirected) + 1 == metrics::kLocalReplies,
              "metrics::Metrics labels local replies in LocalReason's order");

void HttpSession::finish_request() {
  auto& r = record_;
  const auto& rep = r.report;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
  worker_.stats().record(
      {ep_index_, r.route, r.method, r.status, seconds, rep.request_bytes, rep.response_bytes});
  if (r.local) {
    worker_.metrics().entrypoint(ep_index_).local[static_cast<std::size_t>(*r.local)]->Increment();
  }
  if (!r.logged) return;
  metrics::AccessEntry e;
  e.time = r.wall;
  e.entrypoint = entrypoint_;
  e.client = r.client;
  e.method = r.method_name;
  e.host = r.host;
  e.target = r.target;
  e.version = version_;
  e.status = r.status;
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
  e.tls = stream_.is_tls();
  worker_.access_log()->write(e);
}

awaitable<bool> HttpSession::handle_request() {
  version_ = 11;
  head_request_ = false;
  response_ops_.clear();
  policy_.clear();
  // Whatever way the request ends, what its middlewares hold (an in-flight slot) is let go.
  struct Release {
    std::vector<std::shared_ptr<void>>& holds;
    ~Release() { holds.clear(); }
  } release{holds_};
  // Read until the buffer holds a complete head (here, not in a coroutine of its own: that
  // would cost a frame and a resumption per request). Waiting for the first byte is bounded by
  // the idle timeout; once a request has started, the whole head must arrive within the header
  // timeout, so a slowloris sender cannot keep the connection by trickling bytes. `waiting_`
  // is true while nothing of a request has arrived: a drain may close the connection then.
  HeadResult head;
  for (bool started = false;;) {
    std::size_t skip = 0;
    const auto data = buffer_.cdata();
    head = find_request_head({static_cast<const char*>(data.data()), data.size()}, skip);
    buffer_.consume(skip);
    if (head.status != HeadStatus::kClosed) break;  // A head, or one refused already.
    if (!started) {
      const auto& t = worker_.table();
      const auto timeouts = t ? t->entrypoint_timeouts(entrypoint_) : model::EntryPointTimeouts{};
      started = buffer_.size() > 0;
      stream_.expires_after(ms(started ? timeouts.read_header_ms : timeouts.idle_ms));
    }
    waiting_ = buffer_.size() == 0;
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(16 * 1024), kNoThrow);
    buffer_.commit(n);
    waiting_ = false;
    if (ec) {
      head.status = stream_.timed_out() ? HeadStatus::kTimeout : HeadStatus::kClosed;
      break;
    }
  }
  // Until its body is known to be read, a request that arrived may be followed by more bytes.
  may_be_sending_ = head.status != HeadStatus::kClosed && head.status != HeadStatus::kTimeout;
  // The table is taken once the head is here, so a request arriving after a swap sees the new
  // one, and kept to the end of the request even if another swap happens meanwhile.
  auto table = worker_.table();
  const auto ep_timeouts =
      table ? table->entrypoint_timeouts(entrypoint_) : model::EntryPointTimeouts{};
  switch (head.status) {
    case HeadStatus::kOk:
      break;
    case HeadStatus::kTooLarge:
      co_return co_await reply(LocalReason::kHeadersTooLarge, false);
    case HeadStatus::kBad:
      co_return co_await reply(LocalReason::kBadRequest, false, head.reason);
    case HeadStatus::kClosed:
    case HeadStatus::kTimeout:
      co_return false;
  }

  proxy::RequestParser parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxRequestHead));
  parser.body_limit(boost::none);
  proxy::check_chunk_extensions(parser);
  error_code ec;
  parser.put(asio::buffer(buffer_.data().data(), head.size), ec);
  buffer_.consume(head.size);
  if (ec || !parser.is_header_done()) {
    // A named local, not a temporary in the co_await: GCC 12 destroys temporaries of a
    // conditional expression inside co_await twice.
    std::string why = ec ? ec.message() : "incomplete request head";
    co_return co_await reply(LocalReason::kBadRequest, false, why);
  }
  auto& req = parser.get();
  version_ = req.version();
  head_request_ = req.method() == http::verb::head;
  record_.started = true;
  record_.start = std::chrono::steady_clock::now();
  record_.method = metrics::method_of(req.method());
  std::string_view host_field;
  if (auto bad = check_framing(req, host_field)) {
    co_return co_await reply(bad->reason, false, bad->detail);
  }

  std::string_view target_host, path, query;
  if (!split_target(req.target(), target_host, path, query)) {
    co_return co_await reply(LocalReason::kBadRequest, false, "bad request target");
  }
  if (!target_host.empty()) {
    // RFC 9112 section 3.2.2: an absolute-form target's authority is the request's host, and a
    // proxy forwards a Host made from it, not the one received (as Traefik and nginx do).
    req.set(http::field::host, std::string(target_host));
    host_field = req[http::field::host];
  }
  rules::normalize_host(host_field, host_);
  rules::normalize_path(path, path_);

  const auto& trusted = worker_.options().trusted_proxies;
  auto client = proxy::compute_client(peer_, peer_text_, trusted, req);
  // Taken (or made) before any reply, so that every log line has it.
  bool new_request_id = take_request_id(req, record_.request_id);
  if (worker_.access_log()) {
    // Copied now: the head's fields move upstream with the request.
    auto& r = record_;
    r.logged = true;
    r.wall = std::chrono::system_clock::now();
    r.method_name.assign(req.method_string());
    r.target.assign(req.target());
    r.host.assign(host_field);
    r.user_agent.assign(req[http::field::user_agent]);
    r.referer.assign(req[http::field::referer]);
    r.client = client.client_text();
    r.router.clear();
    r.service.clear();
    r.upstream.clear();
  }
  FieldsLookup headers(req);
  rules::RequestView view{req.method_string(), host_,           path_, query, &headers,
                          &client.client,      stream_.is_tls()};
  // The parser's flags, not req.keep_alive(), which parses the Connection field again.
  bool keep_alive = parser.keep_alive() && !worker_.draining();
  // A body we do not forward is not read either, so the connection cannot carry more requests.
  bool can_keep = keep_alive && parser.is_done();
  may_be_sending_ = !parser.is_done();

  // HTTP-01 validations (RFC 8555 section 8.3) are answered ahead of redirects and routers, on
  // every plain-HTTP entrypoint, for the tokens the controller has pending; any other path
  // under /.well-known/ (Immich's, say) routes as usual.
  constexpr std::string_view kAcmePrefix = "/.well-known/acme-challenge/";
  if (table && !stream_.is_tls() && path_.starts_with(kAcmePrefix)) {
    if (const auto* answer = table->acme_http_answer(path_.substr(kAcmePrefix.size()))) {
      middleware::Reply r{200, {{"Content-Type", "application/octet-stream"}}, *answer};
      co_return co_await reply(r, can_keep);
    }
  }

  const middleware::Middleware* ep_redirect =
      table && !stream_.is_tls() ? table->entrypoint_redirect(entrypoint_) : nullptr;
  const routing::CompiledRouter* router =
      table && !ep_redirect ? table->match(entrypoint_, view) : nullptr;
  if (!router && !ep_redirect) co_return co_await reply(LocalReason::kNoRoute, can_keep);
  auto note_router = [&](const routing::CompiledRouter* r) {
    record_.route = r->metrics_route;
    if (record_.logged) {
      record_.router = r->name;
      record_.service = r->service->name;
    }
  };
  if (router) note_router(router);
  // A request for a host whose router wants other TLS options than this connection got (it
  // named another host in SNI) is refused, as Traefik does: the options, client certificates
  // among them, were chosen for the name the handshake gave.
  if (router && stream_.is_tls() && table->certificates().has_options()) {
    const auto* fallback = table->certificates().options_for("");
    const std::string& wanted = !router->tls_options.empty() ? router->tls_options
                                : fallback                   ? fallback->name()
                                                             : std::string();
    if (wanted != tls_options_) co_return co_await reply(LocalReason::kMisdirected, can_keep);
  }

  std::string_view target = req.target();
  if (!target_host.empty()) {
    origin_target_.assign(path);
    if (!query.empty()) origin_target_.append("?").append(query);
    target = origin_target_;
  }
  if (ep_redirect || !router->middlewares.empty()) {
    raw_path_.assign(path);
    raw_query_.assign(query);
    // In the fields before middlewares run, so forward auth and the server see the same.
    if (new_request_id) req.insert("X-Request-Id", record_.request_id);
    new_request_id = false;
    middleware::Request mreq{
        req,    req.method_string(), host_,  raw_path_, raw_query_, stream_.is_tls(),
        client, response_ops_,       holds_, policy_};
    if (ep_redirect) {
      if (auto r = ep_redirect->handle(mreq)) co_return co_await reply(*r, can_keep);
      router = table->match(entrypoint_, view);  // A trusted proxy terminated TLS already.
      if (!router) co_return co_await reply(LocalReason::kNoRoute, can_keep);
      note_router(router);
    }
    for (const auto* m : router->middlewares) {
      std::optional<middleware::Reply> r;
      if (m->is_async()) {
        middleware::AsyncContext ctx{worker_.pool(), stream_.get_executor()};
        r = co_await m->handle_async(mreq, ctx);
      } else {
        r = m->handle(mreq);
      }
      if (r) co_return co_await reply(*r, can_keep);
    }
    if (mreq.path_changed) {
      origin_target_ = raw_path_;
      if (!raw_query_.empty()) origin_target_.append("?").append(raw_query_);
      target = origin_target_;
    }
  }
  std::string sticky_cookie;
  // The Cookie field is looked up only for a service with sticky sessions.
  const auto& service = *router->service;
  const routing::CompiledServer* server = service.pick(
      service.sticky_name.empty() ? std::string_view() : std::string_view(req[http::field::cookie]),
      &sticky_cookie);
  if (!server) co_return co_await reply_no_server(req, target, can_keep);
  if (!sticky_cookie.empty()) {
    response_ops_.push_back(
        {middleware::HeaderOp::Kind::kAppend, "Set-Cookie", std::move(sticky_cookie)});
  }

  auto& report = record_.report;
  proxy::Exchange x{stream_,
                    buffer_,
                    parser,
                    target,
                    service,
                    server,
                    client,
                    stream_.is_tls() ? "https" : "http",
                    new_request_id ? std::string_view(record_.request_id) : std::string_view(),
                    ep_timeouts,
                    worker_.pool(),
                    relay_buffer_,
                    upstream_buffer_,
                    head_,
                    parser.keep_alive(),
                    worker_.draining(),
                    response_ops_,
                    policy_,
                    report,
                    worker_.metrics().entrypoint(ep_index_).tunnels};
  const bool keep = co_await proxy::forward(x);
  relay_buffer_.release();  // An idle keep-alive connection holds no body buffer.
  may_be_sending_ = !proxy::request_read(x);
  record_.status = report.status;
  record_.local = report.local;
  auto& m = worker_.metrics();
  for (unsigned i = 0; i < report.connect_errors; ++i) m.upstream_connect_error(x.service.name);
  for (unsigned i = 0; i < report.timeouts; ++i) m.upstream_timeout(x.service.name);
  if (record_.logged && report.server) record_.upstream = report.server->url;
  if (!policy_.breakers.empty()) {
    auto now = std::chrono::steady_clock::now();
    for (auto* b : policy_.breakers) {
      b->record(now, report.status, report.upstream_failed, report.upstream_time);
    }
  }
  co_return keep;
}

awaitable<void> serve_connection(Worker& worker, tcp::socket socket, tcp::endpoint peer,
                                 std::string entrypoint) {
  HttpSession session(worker, std::move(socket), peer, std::move(entrypoint));
  co_await session.run();
}

}  // namespace wharf::dataplane::server
