#include "dataplane/codec/http2/server_stream.hpp"

#include <cstring>

#include "dataplane/codec/http2/server_connection.hpp"
#include "dataplane/proxy/forward.hpp"
#include "dataplane/proxy/message_relay.hpp"
#include "dataplane/proxy/request_facts.hpp"
#include "dataplane/server/request_head.hpp"

namespace wharf::dataplane::codec::http2 {
namespace {

using Clock = std::chrono::steady_clock;

bool bodiless(unsigned status) {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace

ServerStream::ServerStream(ServerConnection& connection, std::int32_t id)
    : conn_(connection),
      id_(id),
      builder_(connection.settings().max_header_list),
      exchange_(connection.worker(), connection.facts()),
      read_wake_(connection.executor()),
      write_wake_(connection.executor()) {}

ServerStream::~ServerStream() {
  conn_.stop_waiting_for_room(this);
}

void ServerStream::on_header(std::string_view name, std::string_view value) {
  if (!headers_done_) {
    builder_.add(name, value);
  } else {
    add_trailer(trailers_, trailer_size_, conn_.settings().max_header_list, name, value);
    has_trailers_ = true;
  }
}

void ServerStream::on_headers_end(bool end_stream) {
  headers_done_ = true;
  body_follows_ = !end_stream;
  in_ended_ = end_stream;
}

void ServerStream::on_trailers_end() {
  in_ended_ = true;
  read_wake_.wake();
}

void ServerStream::on_data(const std::uint8_t* data, std::size_t n) {
  if (request_stopped_ || served_) {
    consume(n);  // Nobody reads it: the window reopens at once.
    return;
  }
  in_.append(reinterpret_cast<const char*>(data), n);
  read_wake_.wake();
}

void ServerStream::on_end_stream() {
  in_ended_ = true;
  read_wake_.wake();
}

void ServerStream::on_close(std::uint32_t) {
  if (closed_) return;
  closed_ = true;
  if (!served_) cancel();
  // What the client sent that nobody took still counts against the connection's window.
  if (const auto left = in_.size(); left > 0) {
    nghttp2_session_consume_connection(conn_.native(), left);
  }
  in_.clear();
  conn_.buffered() -= queued();
  out_.clear();
  conn_.room_freed();
  read_wake_.wake();
  write_wake_.wake();
}

void ServerStream::on_response_sent() {
  response_sent_ = true;
  // RFC 9113 section 8.1: a complete response may end a request the client is still sending,
  // with RST_STREAM and NO_ERROR after it.
  if (rst_after_response_ && !in_ended_ && !gone()) {
    nghttp2_submit_rst_stream(conn_.native(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
    conn_.flush();
  }
}

void ServerStream::consume(std::size_t n) {
  if (n == 0) return;
  if (nghttp2_session_consume(conn_.native(), id_, n) != 0) {
    nghttp2_session_consume_connection(conn_.native(), n);
  }
  conn_.flush();
}

Clock::time_point ServerStream::body_deadline() const {
  return Clock::now() + std::chrono::milliseconds(conn_.timeouts().body_idle_ms);
}

void ServerStream::reset(std::uint32_t error) {
  if (gone()) return;
  reset_ = true;
  nghttp2_submit_rst_stream(conn_.native(), NGHTTP2_FLAG_NONE, id_, error);
  conn_.flush();
  read_wake_.wake();
  write_wake_.wake();
}

awaitable<void> ServerStream::serve() {
  auto refused = builder_.finish(head_);
  exchange_.begin(head_.method());
  if (refused) {
    co_await exchange_.refuse(*this, refused->reason, refused->detail);
  } else {
    std::string_view target_host, path, query;
    if (!server::split_target(head_.target(), target_host, path, query) || !target_host.empty()) {
      co_await exchange_.refuse(*this, server::LocalReason::kBadRequest, "bad :path");
    } else {
      proxy::IncomingRequest in{head_, head_.target(),           path,
                                query, head_[http::field::host], false};
      co_await exchange_.run(in, *this);
    }
  }
  exchange_.finish(proxy::Protocol::kHttp2);
  served_ = true;
  // What the exchange left: a stream it did not answer whole is reset, and the request body
  // nobody read goes back to the client's window.
  if (!gone()) {
    if (!response_started_ || !out_ended_) {
      reset(NGHTTP2_INTERNAL_ERROR);
    } else if (!in_ended_) {
      rst_after_response_ = true;
      if (response_sent_) on_response_sent();
    }
  }
  consume(in_.size());
  in_.clear();
}

void ServerStream::submit(HeaderBlock& block, bool with_body) {
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = read_response;
  nghttp2_submit_response(conn_.native(), id_, block.data(), block.size(),
                          with_body ? &provider : nullptr);
  response_started_ = true;
  if (!with_body) out_ended_ = true;
  conn_.flush();
}

awaitable<bool> ServerStream::write_reply(const middleware::Reply& reply,
                                          const std::vector<middleware::HeaderOp>& ops, bool) {
  if (gone() || response_started_) co_return false;
  http::fields fields;
  std::string body;
  server::reply_fields(reply, ops, fields, body);
  block_.clear();
  block_.add_status(reply.status);
  block_.add_fields(fields);
  if (!bodiless(reply.status)) block_.add("content-length", std::to_string(body.size()));
  const bool with_body = !body.empty() && head_.method() != http::verb::head;
  if (with_body) {
    out_.append(body.data(), body.size());
    out_ended_ = true;
    conn_.buffered() += out_.size();
  }
  submit(block_, with_body);
  co_return false;
}

awaitable<bool> ServerStream::relay(proxy::ForwardContext& ctx) {
  proxy::ClientBody body;
  body.follows = body_follows_;
  body.length = builder_.content_length();
  proxy::UpstreamRequest up;
  proxy::make_upstream_request(ctx, head_, body, up);
  proxy::MessageRelay relay(ctx, up);
  co_return co_await proxy::forward(ctx, relay);
}

awaitable<proxy::BodyPiece> ServerStream::read_body(char* buf, std::size_t size) {
  for (;;) {
    if (!in_.empty()) {
      const auto n = in_.take(buf, size);
      consume(n);
      co_return proxy::BodyPiece{{}, n, in_ended_ && in_.empty()};
    }
    if (in_ended_) co_return proxy::BodyPiece{{}, 0, true};
    if (gone() || request_stopped_) co_return proxy::BodyPiece{asio::error::connection_reset};
    const bool woken = co_await read_wake_.wait(body_deadline());
    if (!woken && in_.empty() && !in_ended_ && !gone()) {
      co_return proxy::BodyPiece{beast::error::timeout, 0, false, true};
    }
  }
}

awaitable<error_code> ServerStream::send_continue() {
  if (gone() || response_started_) co_return error_code{};
  HeaderBlock b;
  b.add_status(100);
  nghttp2_submit_headers(conn_.native(), NGHTTP2_FLAG_NONE, id_, nullptr, b.data(), b.size(),
                         nullptr);
  conn_.flush();
  co_return error_code{};
}

awaitable<error_code> ServerStream::send_interim(const http::response_header<>& head) {
  if (gone()) co_return asio::error::connection_reset;
  HeaderBlock b;
  b.add_status(head.result_int());
  b.add_fields(head);
  nghttp2_submit_headers(conn_.native(), NGHTTP2_FLAG_NONE, id_, nullptr, b.data(), b.size(),
                         nullptr);
  conn_.flush();
  co_return error_code{};
}

awaitable<error_code> ServerStream::send_head(http::response_header<>& head,
                                              const proxy::ResponseBody& body) {
  if (gone()) co_return asio::error::connection_reset;
  block_.clear();
  block_.add_status(head.result_int());
  block_.add_fields(head);
  submit(block_, body.follows);
  co_return error_code{};
}

awaitable<error_code> ServerStream::send_body(const char* data, std::size_t n, bool last,
                                              http::fields* trailers) {
  if (gone()) co_return asio::error::connection_reset;
  out_.append(data, n);
  conn_.buffered() += n;
  if (last) {
    out_ended_ = true;
    if (trailers && trailers->begin() != trailers->end()) {
      trailer_block_.clear();
      trailer_block_.add_fields(*trailers);
    }
  }
  nghttp2_session_resume_data(conn_.native(), id_);
  conn_.flush();
  // Over its bound, the stream waits for the client's window to take bytes; the connection's
  // bound holds back a stream only while it has bytes of its own waiting, so one stream can
  // always move. No byte taken for the body idle timeout: the stream is reset.
  const auto& settings = conn_.settings();
  auto over = [&] {
    return queued() > settings.stream_buffer ||
           (queued() > 0 && conn_.buffered() > settings.connection_buffer);
  };
  while (!gone() && over()) {
    const auto before = queued();
    const bool connection_bound = queued() <= settings.stream_buffer;
    if (connection_bound) conn_.wait_for_room(this);
    const bool woken = co_await write_wake_.wait(body_deadline());
    if (connection_bound) conn_.stop_waiting_for_room(this);
    if (!woken && queued() >= before && !gone()) {
      reset(NGHTTP2_CANCEL);
      co_return beast::error::timeout;
    }
  }
  co_return gone() ? error_code(asio::error::connection_reset) : error_code{};
}

void ServerStream::abort() {
  reset(NGHTTP2_INTERNAL_ERROR);
}

void ServerStream::stop_request_body() {
  request_stopped_ = true;
  consume(in_.size());
  in_.clear();
  read_wake_.wake();
  rst_after_response_ = true;
  if (response_sent_) on_response_sent();
}

ssize_t ServerStream::read_response(nghttp2_session* session, std::int32_t id, std::uint8_t* buf,
                                    std::size_t length, std::uint32_t* flags,
                                    nghttp2_data_source* source, void*) {
  auto* s = static_cast<ServerStream*>(source->ptr);
  const std::size_t before = s->queued();
  const auto n = s->out_.fill(session, id, buf, length, flags, s->out_ended_, s->trailer_block_);
  if (s->queued() < before) {
    s->conn_.buffered() -= before - s->queued();
    s->write_wake_.wake();
    s->conn_.room_freed();
  }
  return n;
}

}  // namespace wharf::dataplane::codec::http2
