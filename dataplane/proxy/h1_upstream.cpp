#include "dataplane/proxy/h1_upstream.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <tuple>

#include "dataplane/codec/http2/client_pool.hpp"
#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/connect.hpp"
#include "dataplane/proxy/response.hpp"
#include "dataplane/proxy/response_head.hpp"
#include "dataplane/proxy/wire.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::proxy {
namespace {

using ms = std::chrono::milliseconds;

bool is_connection_lost(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

H1Upstream::H1Upstream(ForwardContext& ctx) : ctx_(ctx) {}

H1Upstream::~H1Upstream() = default;

awaitable<std::optional<UpstreamFailure>> H1Upstream::open(const UpstreamRequest& req,
                                                           bool may_reuse) {
  const auto& server = *ctx_.server;
  const auto& to = ctx_.service.timeouts;
  head_request_ = req.facts.head;
  chunked_ = req.head.chunked();
  Connection conn;
  if (may_reuse) conn = {take_pooled(ctx_.pool, server), true, {}};
  if (!conn.stream) {
    conn = co_await connect(ctx_.pool, co_await asio::this_coro::executor, server,
                            ms(to.connect_ms), false, /*offer_h2=*/!req.facts.upgrade);
  }
  if (conn.h2) {
    ctx_.h2_pool.adopt(server, std::move(conn.stream));
    switched_to_h2_ = true;
    co_return std::nullopt;
  }
  if (!conn.stream) {
    log::warn("service " + ctx_.service.name + ": connect to " + server.url +
              " failed: " + conn.ec.message());
    co_return UpstreamFailure{conn.ec == beast::error::timeout ? FailureSource::kConnectTimeout
                                                               : FailureSource::kConnect};
  }
  conn_ = std::move(conn.stream);
  reused_ = conn.reused;
  wire_.clear();
  write_head(req.head.base(), ctx_.target, wire_, req.facts.forwarded);
  conn_->expires_after(ms(to.body_idle_ms));
  std::array<asio::const_buffer, 1> only{asio::buffer(wire_)};
  error_code ec;
  if (!write_now(*conn_, only, ec)) {
    std::tie(ec, std::ignore) = co_await asio::async_write(*conn_, only, whole_write, kNoThrow);
  }
  if (ec) co_return UpstreamFailure{FailureSource::kWrite, reused_};
  co_return std::nullopt;
}

awaitable<error_code> H1Upstream::send_body(const char* data, std::size_t n, bool last,
                                            http::fields* trailers) {
  if (!conn_) co_return asio::error::not_connected;
  std::string ending;
  if (last && chunked_ && trailers) ending = last_chunk(*trailers);
  conn_->expires_after(ms(ctx_.service.timeouts.body_idle_ms));
  static const std::string kNoHead;
  co_return co_await write_body_part(*conn_, kNoHead, data, n, chunked_, last,
                                     ending.empty() ? kLastChunk : ending);
}

awaitable<HeadRead> H1Upstream::read_head(http::response_header<>& head) {
  if (!conn_) co_return head_failure(FailureSource::kConnectionLost, reused_);
  rp_.emplace();
  rp_->header_limit(kMaxResponseHead);
  rp_->body_limit(boost::none);
  check_chunk_extensions(*rp_);
  if (head_request_) rp_->skip(true);
  conn_->expires_after(ms(ctx_.service.timeouts.response_header_ms));
  const error_code ec = co_await read_response_head(*conn_, buffer_, *rp_, nullptr);
  if (ec && conn_->timed_out()) {
    co_return head_failure(FailureSource::kResponseTimeout, reused_);
  }
  if (ec && is_connection_lost(ec) && buffer_.size() == 0) {
    co_return head_failure(FailureSource::kConnectionLost, reused_);
  }
  if (ec) {
    log::warn("service " + ctx_.service.name + ": " + ctx_.server->url +
              " sent a malformed response head: " + ec.message());
    co_return head_failure(FailureSource::kProtocol, reused_);
  }
  if (auto coding = unsupported_coding(rp_->get())) {
    log::warn("service " + ctx_.service.name + ": response in a transfer coding Wharf does not " +
              "decode: Transfer-Encoding: " + *coding);
    co_return head_failure(FailureSource::kProtocol, reused_);
  }
  HeadRead r;
  r.body.follows = !rp_->is_done();
  if (auto n = rp_->content_length()) r.body.length = *n;
  r.body.trailers = rp_->chunked();
  // The parser keeps its framing state apart from the fields, so the head can be moved out;
  // what the fields hold after the body is then its trailers.
  head = std::move(rp_->get().base());
  co_return r;
}

awaitable<BodyPiece> H1Upstream::read_body(char* buf, std::size_t size) {
  // A body larger than what came with the head reads in relay-buffer pieces; a small one that
  // is here already needs no more room (as relay_parsed decides).
  const auto remaining = rp_->content_length_remaining();
  if ((!remaining || *remaining > buffer_.size()) && buffer_.capacity() < RelayBuffer::size()) {
    buffer_.reserve(RelayBuffer::size());
  }
  for (;;) {
    const auto piece = detail::next_piece(buffer_, *rp_, buf, size);
    if (piece.ec) co_return BodyPiece{piece.ec};
    if (!piece.read) co_return BodyPiece{{}, piece.n, rp_->is_done()};
    conn_->expires_after(ms(ctx_.service.timeouts.body_idle_ms));
    auto [ec, got] = co_await conn_->async_read_some(
        buffer_.prepare(beast::read_size(buffer_, RelayBuffer::size())), kNoThrow);
    buffer_.commit(got);
    if (ec == asio::error::eof) {
      ec = {};
      rp_->put_eof(ec);  // Ends a close-delimited body; cuts any other short.
    }
    if (ec) co_return BodyPiece{ec, 0, false, conn_->timed_out()};
  }
}

http::fields* H1Upstream::trailers() {
  if (!rp_ || !rp_->chunked()) return nullptr;
  auto& fields = rp_->get().base();
  return fields.begin() != fields.end() ? &fields : nullptr;
}

void H1Upstream::finish(bool complete) {
  if (!conn_) return;
  if (complete && rp_ && rp_->is_done() && rp_->keep_alive() && buffer_.size() == 0) {
    give_back(ctx_.pool, *ctx_.server, std::move(conn_));
  }
  conn_.reset();
}

void H1Upstream::abort() {
  if (conn_) conn_->close();
}

}  // namespace wharf::dataplane::proxy
