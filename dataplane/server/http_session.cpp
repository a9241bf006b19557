#include "dataplane/server/http_session.hpp"

#include <boost/asio/write.hpp>

#include "dataplane/codec/http2/server_connection.hpp"
#include "dataplane/io/ip_address.hpp"
#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/wire.hpp"
#include "dataplane/server/request_head.hpp"
#include "dataplane/server/worker.hpp"
#include "dataplane/tls/server_context.hpp"

namespace wharf::dataplane::server {
namespace {

using ms = std::chrono::milliseconds;

// RFC 9113 section 3.4: what an HTTP/2 client with prior knowledge sends first.
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace

HttpSession::HttpSession(Worker& worker, tcp::socket socket, const tcp::endpoint& peer,
                         std::string entrypoint)
    : worker_(worker),
      stream_(std::move(socket)),
      facts_{.entrypoint = {},
             .ep_index = 0,
             .trusted = nullptr,
             .peer = {},
             .peer_text = {},
             .tls = false,
             .tls_options = {}},
      exchange_(worker, facts_) {
  entrypoint_ = std::move(entrypoint);
  facts_.entrypoint = entrypoint_;
  facts_.trusted = &worker_.options().trusted_proxies_of(entrypoint_);
  facts_.peer = ip_address_of(peer.address());
  facts_.peer_text = facts_.peer.to_string();
  worker_.add(this);
  facts_.ep_index = worker_.metrics().entrypoint_index(entrypoint_);
  worker_.metrics().entrypoint(facts_.ep_index).connections->Increment();
}

HttpSession::HttpSession(Worker& worker, tcp::socket socket, const tcp::endpoint& peer,
                         std::string entrypoint, beast::flat_buffer&& peeked)
    : HttpSession(worker, std::move(socket), peer, std::move(entrypoint)) {
  buffer_ = std::move(peeked);
}

HttpSession::~HttpSession() {
  worker_.metrics().entrypoint(facts_.ep_index).connections->Decrement();
  worker_.remove(this);
}

void HttpSession::close_if_idle() {
  if (h2_) {
    h2_->drain();
  } else if (waiting_) {
    stream_.cancel();
  }
}

awaitable<bool> HttpSession::detect_tls() {
  // A copy: the table's certificates must outlive the handshake even if a new table arrives.
  std::shared_ptr<const routing::CompiledTable> table = worker_.table();
  model::EntryPointTimeouts timeouts;
  if (table) timeouts = table->entrypoint_timeouts(entrypoint_);
  if (buffer_.size() == 0) {  // Else its first bytes were read to route it (connection.cpp).
    stream_.expires_after(ms(timeouts.idle_ms));
    waiting_ = true;  // A drain closes a connection that has not said anything yet.
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(16 * 1024), kNoThrow);
    waiting_ = false;
    if (ec) co_return false;
    buffer_.commit(n);
  }
  // A TLS connection opens with a handshake record (content type 22); an HTTP request opens
  // with a method token, which never starts with that byte.
  if (static_cast<const unsigned char*>(buffer_.data().data())[0] != 0x16) co_return true;
  auto& tls = stream_.start_tls(tls::default_context());
  if (table) table->certificates().attach(tls.native_handle());
  tls::offer_http2(tls.native_handle(), worker_.options().http2_on(entrypoint_));
  // The handshake is bounded like a request head: a client that stalls in it is a slowloris.
  stream_.expires_after(ms(timeouts.read_header_ms));
  auto [hec, used] = co_await tls.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                                                  kNoThrowAwaitable);
  buffer_.consume(buffer_.size());  // The ClientHello; nothing else may precede our reply.
  auto& counters = worker_.metrics().entrypoint(facts_.ep_index);
  (hec ? counters.tls_failures : counters.tls_handshakes)->Increment();
  // A TLS-ALPN-01 validator has seen the certificate it came for; it sends no request.
  if (!hec && tls::is_acme_validation(tls.native_handle())) co_return false;
  if (const auto* o = tls::applied_options(tls.native_handle())) facts_.tls_options = o->name();
  facts_.tls = !hec;
  co_return !hec;
}

awaitable<void> HttpSession::run() {
  // A named local, not `if (co_await ...)`: GCC 12 miscompiles that as a coroutine's first
  // statement (the callee sees a garbage `this`).
  const bool open = co_await detect_tls();
  const bool h2 = open && co_await detect_http2();
  if (h2) {
    co_await serve_http2();
    co_await stream_.shutdown(ms(1000));
    co_return;
  }
  if (open) {
    while (!worker_.draining() || buffer_.size() > 0) {
      // Inline rather than a coroutine of its own: one frame and one resumption fewer a request.
      exchange_.reset();
      const bool keep = co_await handle_request();
      exchange_.finish(protocol());
      if (!keep) break;
    }
  }
  // Bytes already here that no request will read count too (pipelined after a closing one).
  const bool linger = (may_be_sending_ || buffer_.size() > 0) && !worker_.draining();
  waiting_ = linger;  // Its exchanges are over: a drain closes it at once.
  co_await stream_.shutdown(ms(1000), linger);
}

awaitable<bool> HttpSession::detect_http2() {
  if (!worker_.options().http2_on(entrypoint_)) co_return false;
  if (stream_.is_tls()) co_return tls::negotiated_http2(stream_.tls()->native_handle());
  // The preface may come in pieces: as long as what is here could still be its start, read on
  // (within the header timeout); anything else is HTTP/1.x.
  const auto& t = worker_.table();
  stream_.expires_after(ms(t ? t->entrypoint_timeouts(entrypoint_).read_header_ms
                             : model::EntryPointTimeouts{}.read_header_ms));
  for (;;) {
    const std::string_view have(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const auto n = std::min(have.size(), kPreface.size());
    if (have.substr(0, n) != kPreface.substr(0, n)) co_return false;
    if (n == kPreface.size()) co_return true;
    auto [ec, got] = co_await stream_.async_read_some(buffer_.prepare(16 * 1024), kNoThrow);
    if (ec) co_return false;  // The connection ends; the HTTP/1.1 loop finds nothing to serve.
    buffer_.commit(got);
  }
}

awaitable<void> HttpSession::serve_http2() {
  stream_.expires_never();
  const auto table = worker_.table();
  const auto timeouts =
      table ? table->entrypoint_timeouts(entrypoint_) : model::EntryPointTimeouts{};
  codec::http2::ServerSettings settings;
  settings.max_concurrent_streams = worker_.options().http2_max_streams_of(entrypoint_);
  h2_ = std::make_unique<codec::http2::ServerConnection>(worker_, stream_, buffer_, facts_,
                                                         timeouts, settings);
  if (worker_.draining()) h2_->drain();
  co_await h2_->run();
  h2_.reset();
}

awaitable<bool> HttpSession::write_reply(const middleware::Reply& reply,
                                         const std::vector<middleware::HeaderOp>& ops,
                                         bool keep_alive) {
  auto ec = co_await server::write_reply(stream_, reply, ops, version_, keep_alive, head_request_);
  co_return keep_alive && !ec;
}

awaitable<bool> HttpSession::relay(proxy::ForwardContext& ctx) {
  proxy::H1Relay relay(ctx, stream_, buffer_, *parser_, relay_buffer_, upstream_buffer_, head_,
                       parser_->keep_alive());
  const bool keep = co_await proxy::forward(ctx, relay);
  may_be_sending_ = !relay.request_read() && !body_read_;
  co_return keep;
}

awaitable<bool> HttpSession::handle_request() {
  version_ = 11;
  head_request_ = false;
  set_grpc(false);
  body_read_ = false;
  response_chunked_ = false;
  response_started_ = false;
  response_keep_ = false;
  aborted_ = false;
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
    if (head.status != HeadStatus::kIncomplete) break;  // A head, or one refused already.
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
  switch (head.status) {
    case HeadStatus::kOk:
      break;
    case HeadStatus::kTooLarge:
      co_return co_await exchange_.refuse(*this, LocalReason::kHeadersTooLarge, {});
    case HeadStatus::kBad:
      co_return co_await exchange_.refuse(*this, LocalReason::kBadRequest, head.reason);
    case HeadStatus::kIncomplete:  // Not after the loop: it reads until the head or the end.
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
    co_return co_await exchange_.refuse(*this, LocalReason::kBadRequest, why);
  }
  auto& req = parser.get();
  version_ = req.version();
  head_request_ = req.method() == http::verb::head;
  exchange_.begin(req.method());
  std::string_view host_field;
  if (auto bad = check_framing(req, host_field)) {
    co_return co_await exchange_.refuse(*this, bad->reason, bad->detail);
  }
  std::string_view target_host, path, query;
  if (!split_target(req.target(), target_host, path, query)) {
    co_return co_await exchange_.refuse(*this, LocalReason::kBadRequest, "bad request target");
  }
  std::string_view target = req.target();
  if (!target_host.empty()) {
    // RFC 9112 section 3.2.2: an absolute-form target's authority is the request's host, and a
    // proxy forwards a Host made from it, not the one received (as Traefik and nginx do); the
    // server gets the origin form.
    req.set(http::field::host, std::string(target_host));
    host_field = req[http::field::host];
    origin_target_.assign(path);
    if (!query.empty()) origin_target_.append("?").append(query);
    target = origin_target_;
  }
  // The parser's flags, not req.keep_alive(), which parses the Connection field again. A body
  // we do not forward is not read either, so the connection cannot carry more requests then.
  const bool can_keep = parser.keep_alive() && parser.is_done();
  may_be_sending_ = !parser.is_done();
  parser_ = &parser;
  proxy::IncomingRequest in{req, target, path, query, host_field, can_keep};
  const bool keep = co_await exchange_.run(in, *this);
  parser_ = nullptr;
  relay_buffer_.release();  // An idle keep-alive connection holds no body buffer.
  co_return keep;
}

// ---- The message relay's view of this connection (an HTTP/2 server behind an HTTP/1.1
// client). ----

bool HttpSession::request_body_follows() const {
  return !parser_->is_done();
}

std::optional<std::uint64_t> HttpSession::request_body_length() const {
  if (auto n = parser_->content_length()) return *n;
  return std::nullopt;
}

awaitable<proxy::BodyPiece> HttpSession::read_body(char* buf, std::size_t size) {
  const auto& t = worker_.table();
  const auto idle = ms(t ? t->entrypoint_timeouts(entrypoint_).body_idle_ms
                         : model::EntryPointTimeouts{}.body_idle_ms);
  const auto remaining = parser_->content_length_remaining();
  if ((!remaining || *remaining > buffer_.size()) &&
      buffer_.capacity() < proxy::RelayBuffer::size()) {
    buffer_.reserve(proxy::RelayBuffer::size());
  }
  for (;;) {
    const auto piece = proxy::detail::next_piece(buffer_, *parser_, buf, size);
    if (piece.ec) co_return proxy::BodyPiece{piece.ec};
    if (!piece.read) {
      body_read_ = parser_->is_done();
      may_be_sending_ = !body_read_;
      co_return proxy::BodyPiece{{}, piece.n, body_read_};
    }
    stream_.expires_after(idle);
    auto [ec, got] = co_await stream_.async_read_some(
        buffer_.prepare(beast::read_size(buffer_, proxy::RelayBuffer::size())), kNoThrow);
    buffer_.commit(got);
    if (ec == asio::error::eof) {
      ec = {};
      parser_->put_eof(ec);  // A body cut short: partial_message.
    }
    if (ec) co_return proxy::BodyPiece{ec, 0, false, stream_.timed_out()};
  }
}

http::fields* HttpSession::request_trailers() {
  // The head's fields went upstream; what the parser holds now are the trailers, if any.
  auto& fields = parser_->get().base();
  return parser_->chunked() && fields.begin() != fields.end() ? &fields : nullptr;
}

awaitable<error_code> HttpSession::write_all(std::string_view bytes) {
  const auto& t = worker_.table();
  stream_.expires_after(ms(t ? t->entrypoint_timeouts(entrypoint_).body_idle_ms
                             : model::EntryPointTimeouts{}.body_idle_ms));
  auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(bytes), kNoThrow);
  co_return ec;
}

awaitable<error_code> HttpSession::send_continue() {
  if (version_ < 11) co_return error_code{};
  co_return co_await write_all("HTTP/1.1 100 Continue\r\n\r\n");
}

awaitable<error_code> HttpSession::send_interim(const http::response_header<>& head) {
  if (version_ < 11) co_return error_code{};  // HTTP/1.0 clients know no interim responses.
  std::string text;
  proxy::write_head(head, text);
  co_return co_await write_all(text);
}

awaitable<error_code> HttpSession::send_head(http::response_header<>& head,
                                             const proxy::ResponseBody& body) {
  head.version(version_ >= 11 ? 11 : 10);
  response_started_ = true;
  const unsigned st = head.result_int();
  const bool bodiless = head_request_ || st < 200 || st == 204 || st == 304;
  response_keep_ = parser_->keep_alive() && !worker_.draining() && body_read_;
  response_chunked_ = false;
  if (!bodiless) {
    if (!body.follows) {
      head.set(http::field::content_length, "0");
    } else if (body.length) {
      head.set(http::field::content_length, std::to_string(*body.length));
    } else if (version_ >= 11) {
      head.erase(http::field::content_length);
      head.set(http::field::transfer_encoding, "chunked");
      response_chunked_ = true;
    } else {
      head.erase(http::field::content_length);
      response_keep_ = false;  // Close-delimited for an HTTP/1.0 client.
    }
  }
  std::string_view connection;
  if (version_ >= 11 && !response_keep_) connection = "Connection: close\r\n";
  if (version_ < 11 && response_keep_) connection = "Connection: keep-alive\r\n";
  proxy::write_head(head, head_, connection);
  auto ec = co_await write_all(head_);
  head_.clear();
  co_return ec;
}

awaitable<error_code> HttpSession::send_body(const char* data, std::size_t n, bool last,
                                             http::fields* trailers) {
  std::string ending;
  if (last && response_chunked_ && trailers) ending = proxy::last_chunk(*trailers);
  const auto& t = worker_.table();
  stream_.expires_after(ms(t ? t->entrypoint_timeouts(entrypoint_).body_idle_ms
                             : model::EntryPointTimeouts{}.body_idle_ms));
  static const std::string kNoHead;
  co_return co_await proxy::write_body_part(stream_, kNoHead, data, n, response_chunked_, last,
                                            ending.empty() ? proxy::kLastChunk : ending);
}

void HttpSession::abort() {
  aborted_ = true;
  response_keep_ = false;
}

void HttpSession::stop_request_body() {
  // The rest of the body is not wanted: the connection closes after the response, and a read
  // waiting for the body ends now (nothing else is in flight on the socket then).
  response_keep_ = false;
  if (!body_read_) stream_.cancel();
}

bool HttpSession::keep_alive_after() const {
  if (aborted_) return false;
  if (response_started_) return response_keep_;
  return parser_ && parser_->keep_alive() && !worker_.draining() &&
         (body_read_ || parser_->is_done());
}

}  // namespace wharf::dataplane::server
