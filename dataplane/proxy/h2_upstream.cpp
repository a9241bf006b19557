#include "dataplane/proxy/h2_upstream.hpp"

#include <charconv>

#include "dataplane/codec/http2/client_pool.hpp"
#include "dataplane/codec/http2/client_stream.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::proxy {
namespace {

using ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A response head of a server over HTTP/2 may carry this much, as a client's may.
constexpr std::size_t kMaxResponseHeaders = 64 * 1024;

// The forwarding fields, kept as raw HTTP/1.1 lines for the HTTP/1.1 head writer, as fields.
void add_lines(codec::http2::HeaderBlock& block, std::string_view lines) {
  while (!lines.empty()) {
    const auto end = lines.find("\r\n");
    const auto line = lines.substr(0, end);
    const auto colon = line.find(": ");
    if (colon != std::string_view::npos) block.add(line.substr(0, colon), line.substr(colon + 2));
    if (end == std::string_view::npos) break;
    lines.remove_prefix(end + 2);
  }
}

std::optional<std::uint64_t> length_of(const http::fields& f) {
  const auto v = f[http::field::content_length];
  if (v.empty()) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size()) return std::nullopt;
  return n;
}

}  // namespace

H2Upstream::H2Upstream(ForwardContext& ctx) : ctx_(ctx) {}

H2Upstream::~H2Upstream() {
  if (stream_ && !stream_->closed()) stream_->reset(NGHTTP2_CANCEL);
}

awaitable<std::optional<UpstreamFailure>> H2Upstream::open(const UpstreamRequest& req,
                                                           bool may_reuse) {
  const auto& server = *ctx_.server;
  head_request_ = req.facts.head;
  auto got = co_await ctx_.h2_pool.acquire(server, ms(ctx_.service.timeouts.connect_ms), may_reuse,
                                           ctx_.pool);
  if (!got.connection) {
    if (got.ec == asio::error::no_protocol_option) {
      // An https server that chose http/1.1 this time: the retry goes over HTTP/1.1.
      co_return UpstreamFailure{FailureSource::kRefused, false};
    }
    log::warn("service " + ctx_.service.name + ": connect to " + server.url +
              " failed: " + got.ec.message());
    co_return UpstreamFailure{got.ec == beast::error::timeout ? FailureSource::kConnectTimeout
                                                              : FailureSource::kConnect};
  }
  reused_ = got.reused;
  auto& conn = *got.connection;
  stream_ = std::make_shared<codec::http2::ClientStream>(got.connection, kMaxResponseHeaders);
  codec::http2::HeaderBlock block;
  block.add(":method", req.head.method_string());
  block.add(":scheme", conn.tls() ? "https" : "http");
  const std::string_view host = req.head[http::field::host];
  block.add(":authority", host.empty() ? std::string_view(server.authority) : host);
  block.add(":path", ctx_.target);
  block.add_fields(req.head);
  if (req.facts.te_trailers) block.add("te", "trailers");
  add_lines(block, req.facts.forwarded);
  if (!conn.submit(stream_, block, req.body_follows)) {
    // The connection stopped taking streams between the pool's look and now (a GOAWAY).
    co_return UpstreamFailure{FailureSource::kRefused, reused_};
  }
  co_return std::nullopt;
}

awaitable<error_code> H2Upstream::send_body(const char* data, std::size_t n, bool last,
                                            http::fields* trailers) {
  if (!stream_) co_return asio::error::not_connected;
  co_return co_await stream_->send_body(data, n, last, trailers,
                                        ms(ctx_.service.timeouts.body_idle_ms));
}

awaitable<HeadRead> H2Upstream::read_head(http::response_header<>& head) {
  if (!stream_) co_return head_failure(FailureSource::kConnectionLost, reused_);
  const auto deadline = Clock::now() + ms(ctx_.service.timeouts.response_header_ms);
  auto got = co_await stream_->next_head(deadline);
  if (!got) {
    if (stream_->closed()) {
      // RFC 9113 section 8.7: a stream refused (or above a GOAWAY's last stream) was not
      // processed; any other end before a response may have been.
      const bool refused = stream_->error() == NGHTTP2_REFUSED_STREAM;
      co_return head_failure(refused ? FailureSource::kRefused : FailureSource::kConnectionLost,
                             reused_);
    }
    stream_->reset(NGHTTP2_CANCEL);
    co_return head_failure(FailureSource::kResponseTimeout, reused_);
  }
  head = std::move(*got);
  HeadRead r;
  if (head.result_int() >= 200) {
    r.body.follows = !stream_->ended_with_head() && !head_request_;
    r.body.length = length_of(head);
    r.body.trailers = true;
  }
  co_return r;
}

awaitable<BodyPiece> H2Upstream::read_body(char* buf, std::size_t size) {
  co_return co_await stream_->read_body(buf, size, ms(ctx_.service.timeouts.body_idle_ms));
}

http::fields* H2Upstream::trailers() {
  return stream_ ? stream_->trailers() : nullptr;
}

void H2Upstream::finish(bool complete) {
  if (stream_ && !stream_->closed() && !complete) stream_->reset(NGHTTP2_CANCEL);
  stream_.reset();
}

void H2Upstream::abort() {
  if (stream_) stream_->reset(NGHTTP2_CANCEL);
}

}  // namespace wharf::dataplane::proxy
