#include "dataplane/codec/http2/client_connection.hpp"
#include "dataplane/io/stream.hpp"

#include "dataplane/codec/http2/client_stream.hpp"

namespace wharf::dataplane::codec::http2 {
namespace {

using Clock = std::chrono::steady_clock;

ClientConnection& self(void* user_data) {
  return *static_cast<ClientConnection*>(user_data);
}

// A stalled write to a server ends its connection after this long (the streams' own timeouts
// are the exchanges').
constexpr std::chrono::seconds kWriteTimeout{60};

// Each stream may have this much of a response unread by its exchange; the connection as a
// whole this much: a slow client holds back its own stream, not its neighbours.
constexpr std::uint32_t kStreamWindow = 256 * 1024;
constexpr std::int32_t kConnectionWindow = 8 * 1024 * 1024;

}  // namespace

ClientConnection::ClientConnection(std::unique_ptr<Stream> stream, bool tls)
    : OwnedStream(std::move(stream)),
      Session(*owned, kWriteTimeout),
      tls_(tls),
      idle_since_(Clock::now()) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  // Until the server's SETTINGS say otherwise, assume RFC 9113's recommended minimum.
  nghttp2_option_set_peer_max_concurrent_streams(opt, 100);
  nghttp2_session_client_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  const nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, std::size(iv));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

ClientConnection::~ClientConnection() = default;

namespace {

awaitable<void> drive(std::shared_ptr<ClientConnection> c, awaitable<void> loop) {
  co_await std::move(loop);
}

}  // namespace

void ClientConnection::start() {
  // Each loop keeps the connection alive while it runs.
  asio::co_spawn(executor(), drive(shared_from_this(), write_loop()), asio::detached);
  asio::co_spawn(executor(), drive(shared_from_this(), run()), asio::detached);
}

awaitable<void> ClientConnection::run() {
  co_await read_loop();
  close();
  fail_all();
}

void ClientConnection::fail_all() {
  auto open = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : open) s->on_close(NGHTTP2_CANCEL);
}

bool ClientConnection::usable() const {
  return !closed_ && !goaway_ && nghttp2_session_check_request_allowed(session_) != 0;
}

bool ClientConnection::has_room() const {
  return usable() && streams_.size() < nghttp2_session_get_remote_settings(
                                           session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

bool ClientConnection::submit(const std::shared_ptr<ClientStream>& s, HeaderBlock& block,
                              bool with_body) {
  nghttp2_data_provider provider{};
  provider.source.ptr = s.get();
  provider.read_callback = ClientStream::read_request;
  const auto id = nghttp2_submit_request(session_, nullptr, block.data(), block.size(),
                                         with_body ? &provider : nullptr, s.get());
  if (id < 0) return false;
  s->id_ = id;
  streams_.emplace(id, s);
  flush();
  return true;
}

void ClientConnection::shut_down() {
  if (closed_ || goaway_) return;
  goaway_ = true;
  // A client's GOAWAY names the last stream the server may start (none: no push); the streams
  // it started itself finish, then nghttp2 wants nothing more and the writer ends it.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
  flush();
}

ClientStream* ClientConnection::stream_of(std::int32_t id) const {
  return static_cast<ClientStream*>(nghttp2_session_get_stream_user_data(session_, id));
}

int ClientConnection::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame,
                                       void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (auto* s = self(user_data).stream_of(frame->hd.stream_id)) s->on_begin_headers();
  return 0;
}

int ClientConnection::on_header(nghttp2_session*, const nghttp2_frame* frame,
                                const std::uint8_t* name, std::size_t namelen,
                                const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                                void* user_data) {
  if (auto* s = self(user_data).stream_of(frame->hd.stream_id)) {
    s->on_header({reinterpret_cast<const char*>(name), namelen},
                 {reinterpret_cast<const char*>(value), valuelen});
  }
  return 0;
}

int ClientConnection::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& c = self(user_data);
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
      if (auto* s = c.stream_of(frame->hd.stream_id)) s->on_headers_end(end_stream);
      break;
    case NGHTTP2_DATA:
      if (end_stream) {
        if (auto* s = c.stream_of(frame->hd.stream_id)) s->on_end_stream();
      }
      break;
    case NGHTTP2_GOAWAY:
      // Streams above its last stream id are closed by nghttp2 as refused; no new ones go.
      c.goaway_ = true;
      break;
    default:
      break;
  }
  return 0;
}

int ClientConnection::on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id,
                                    const std::uint8_t* data, std::size_t n, void* user_data) {
  if (auto* s = self(user_data).stream_of(id)) {
    s->on_data(data, n);
  } else {
    nghttp2_session_consume_connection(session, n);
  }
  return 0;
}

int ClientConnection::on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error,
                                      void* user_data) {
  auto& c = self(user_data);
  auto it = c.streams_.find(id);
  if (it == c.streams_.end()) return 0;
  auto s = it->second;
  c.streams_.erase(it);
  s->on_close(error);
  if (c.streams_.empty()) c.idle_since_ = Clock::now();
  return 0;
}

}  // namespace wharf::dataplane::codec::http2
