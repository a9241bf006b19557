#include "dataplane/codec/http2/client_stream.hpp"

#include <charconv>
#include <cstring>

#include "dataplane/codec/http2/client_connection.hpp"

namespace wharf::dataplane::codec::http2 {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

ClientStream::ClientStream(std::shared_ptr<ClientConnection> connection,
                           std::size_t max_header_list)
    : conn_(std::move(connection)),
      max_header_list_(max_header_list),
      read_wake_(conn_->executor()),
      write_wake_(conn_->executor()) {}

ClientStream::~ClientStream() = default;

void ClientStream::on_begin_headers() {
  building_ = {};
  building_status_ = false;
  header_size_ = 0;
}

void ClientStream::on_header(std::string_view name, std::string_view value) {
  header_size_ += name.size() + value.size() + 32;
  if (header_size_ > max_header_list_) {
    too_large_ = true;
    return;
  }
  if (name == ":status") {
    unsigned status = 0;
    std::from_chars(value.data(), value.data() + value.size(), status);
    building_.result(status);
    building_status_ = true;
  } else if (!name.starts_with(':')) {
    building_.insert(name, value);
  }
}

void ClientStream::on_headers_end(bool end_stream) {
  if (too_large_) {
    // A response head over the limit: the exchange sees the stream fail (502).
    reset(NGHTTP2_INTERNAL_ERROR);
    return;
  }
  if (building_status_) {
    building_.version(11);
    const bool final = building_.result_int() >= 200;
    if (final) {
      final_seen_ = true;
      ended_with_head_ = end_stream;
    }
    heads_.push_back(std::move(building_));
  } else if (final_seen_) {
    trailers_ = std::move(static_cast<http::fields&>(building_));
    has_trailers_ = true;
  }
  if (end_stream) in_ended_ = true;
  read_wake_.wake();
}

void ClientStream::on_data(const std::uint8_t* data, std::size_t n) {
  in_.append(reinterpret_cast<const char*>(data), n);
  read_wake_.wake();
}

void ClientStream::on_end_stream() {
  in_ended_ = true;
  read_wake_.wake();
}

void ClientStream::on_close(std::uint32_t error) {
  if (closed_) return;
  closed_ = true;
  error_ = error;
  if (const auto left = in_.size(); left > 0 && !conn_->closed()) {
    nghttp2_session_consume_connection(conn_->native(), left);
  }
  read_wake_.wake();
  write_wake_.wake();
}

void ClientStream::consume(std::size_t n) {
  if (n == 0 || conn_->closed()) return;
  if (nghttp2_session_consume(conn_->native(), id_, n) != 0) {
    nghttp2_session_consume_connection(conn_->native(), n);
  }
  conn_->flush();
}

void ClientStream::reset(std::uint32_t error) {
  if (closed_) return;
  if (!conn_->closed() && id_ > 0) {
    nghttp2_submit_rst_stream(conn_->native(), NGHTTP2_FLAG_NONE, id_, error);
    conn_->flush();
  }
  closed_ = true;
  error_ = error;
  read_wake_.wake();
  write_wake_.wake();
}

awaitable<std::optional<http::response_header<>>> ClientStream::next_head(
    Clock::time_point deadline) {
  while (heads_.empty() && !closed_) {
    const bool woken = co_await read_wake_.wait(deadline);
    if (!woken && heads_.empty() && Clock::now() >= deadline) co_return std::nullopt;
  }
  if (heads_.empty()) co_return std::nullopt;
  auto head = std::move(heads_.front());
  heads_.pop_front();
  co_return head;
}

awaitable<proxy::BodyPiece> ClientStream::read_body(char* buf, std::size_t size,
                                                    std::chrono::milliseconds idle) {
  for (;;) {
    if (!in_.empty()) {
      const auto n = in_.take(buf, size);
      consume(n);
      co_return proxy::BodyPiece{{}, n, in_ended_ && in_.empty()};
    }
    if (in_ended_) co_return proxy::BodyPiece{{}, 0, true};
    // Reset by the server, or the connection lost, mid-body.
    if (closed_) co_return proxy::BodyPiece{asio::error::connection_reset};
    const bool woken = co_await read_wake_.wait(Clock::now() + idle);
    if (!woken && in_.empty() && !in_ended_ && !closed_) {
      reset(NGHTTP2_CANCEL);
      co_return proxy::BodyPiece{beast::error::timeout, 0, false, true};
    }
  }
}

awaitable<error_code> ClientStream::send_body(const char* data, std::size_t n, bool last,
                                              http::fields* trailers,
                                              std::chrono::milliseconds idle) {
  if (closed_) co_return asio::error::connection_reset;
  out_.append(data, n);
  if (last) {
    out_ended_ = true;
    if (trailers && trailers->begin() != trailers->end()) trailer_block_.add_fields(*trailers);
  }
  nghttp2_session_resume_data(conn_->native(), id_);
  conn_->flush();
  while (!closed_ && queued() > kBuffer) {
    const auto before = queued();
    const bool woken = co_await write_wake_.wait(Clock::now() + idle);
    if (!woken && queued() >= before && !closed_) {
      reset(NGHTTP2_CANCEL);
      co_return beast::error::timeout;
    }
  }
  co_return closed_ && !request_done() ? error_code(asio::error::connection_reset) : error_code{};
}

ssize_t ClientStream::read_request(nghttp2_session* session, std::int32_t id, std::uint8_t* buf,
                                   std::size_t length, std::uint32_t* flags,
                                   nghttp2_data_source* source, void*) {
  auto* s = static_cast<ClientStream*>(source->ptr);
  const std::size_t before = s->queued();
  const auto n = s->out_.fill(session, id, buf, length, flags, s->out_ended_, s->trailer_block_);
  if (s->queued() < before) s->write_wake_.wake();
  return n;
}

}  // namespace wharf::dataplane::codec::http2
