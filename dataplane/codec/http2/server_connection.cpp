#include "dataplane/codec/http2/server_connection.hpp"
#include "dataplane/io/stream.hpp"

#include "dataplane/codec/http2/server_stream.hpp"
#include "dataplane/server/worker.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::codec::http2 {
namespace {

using Clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

ServerConnection& self(void* user_data) {
  return *static_cast<ServerConnection*>(user_data);
}

awaitable<void> serve_stream(std::shared_ptr<ServerStream> s, ServerConnection& c) {
  co_await s->serve();
  c.exchange_done();
}

}  // namespace

ServerConnection::ServerConnection(server::Worker& worker, Stream& stream,
                                   beast::flat_buffer& preread, const proxy::ConnectionFacts& facts,
                                   const model::EntryPointTimeouts& timeouts,
                                   const ServerSettings& settings)
    : Session(stream, ms(timeouts.body_idle_ms)),
      worker_(worker),
      preread_(preread),
      facts_(facts),
      timeouts_(timeouts),
      settings_(settings),
      read_wake_(stream.get_executor()),
      idle_wake_(stream.get_executor()),
      exchanges_done_(stream.get_executor()) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // The client's windows reopen only as exchanges take its bytes (ServerStream::consume), so
  // an upload waits for its server instead of piling up here.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  // Rapid reset (CVE-2023-44487): streams reset faster than this cost GOAWAY; CONTINUATION
  // floods (CVE-2024-27316 class): a header block in more than 8 frames ends the connection;
  // SETTINGS with too many entries and unread acknowledgements likewise.
  nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
  nghttp2_option_set_max_continuations(opt, 8);
  nghttp2_option_set_max_settings(opt, 32);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_session_server_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  const nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings_.max_header_list},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, std::size(iv));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<std::int32_t>(settings_.connection_window));
}

ServerConnection::~ServerConnection() = default;

ServerStream* ServerConnection::stream_of(std::int32_t id) const {
  return static_cast<ServerStream*>(nghttp2_session_get_stream_user_data(session_, id));
}

awaitable<void> ServerConnection::run() {
  auto ex = co_await asio::this_coro::executor;
  // The bytes that came with the preface (h2c), or after the TLS handshake.
  if (preread_.size() > 0) {
    const auto data = preread_.cdata();
    receive(static_cast<const char*>(data.data()), data.size());
    preread_.consume(preread_.size());
  }
  asio::co_spawn(ex, write_loop(), asio::detached);
  asio::co_spawn(ex, watch_idle(), asio::detached);
  arm_idle();
  co_await read_loop();
  // The reader is done: the client is gone, or the session ended (a GOAWAY went out, or is
  // going). Once the writer is done too, streams still open learn that nothing more will come,
  // and their exchanges end.
  if (!closed_) flush();
  while (!writer_done_) co_await done_wake_.wait();
  auto open = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : open) s->on_close(NGHTTP2_CANCEL);
  while (running_ > 0) co_await exchanges_done_.wait();
  idle_wake_.wake();
  while (!idle_watch_done_) co_await exchanges_done_.wait();
}

void ServerConnection::drain() {
  if (draining_ || closed_) return;
  draining_ = true;
  // Streams up to the last one taken finish; the client opens new ones elsewhere.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  flush();
}

void ServerConnection::terminate(std::uint32_t error) {
  nghttp2_session_terminate_session(session_, error);
  flush();
}

void ServerConnection::exchange_done() {
  --running_;
  read_wake_.wake();
  if (running_ == 0) {
    exchanges_done_.wake();
    arm_idle();
  }
}

void ServerConnection::room_freed() {
  for (auto* s : room_waiters_) s->room_freed();
}

awaitable<void> ServerConnection::before_read() {
  // Exchanges of streams the client reset go on until they notice: up to twice the stream
  // limit may run, and reading waits beyond that, so a client resetting streams as fast as it
  // opens them gets no more work done than one that keeps them open.
  while (running_ > 2 * static_cast<std::size_t>(settings_.max_concurrent_streams) && !closed_) {
    co_await read_wake_.wait();
  }
}

void ServerConnection::arm_idle() {
  auto deadline = Clock::time_point::max();
  if (headers_open_ > 0) {
    // A header block that does not end within the header timeout is a slowloris.
    deadline = Clock::now() + ms(timeouts_.read_header_ms);
  } else if (streams_.empty() && running_ == 0) {
    deadline = Clock::now() + ms(timeouts_.idle_ms);
  }
  if (deadline == idle_deadline_) return;
  idle_deadline_ = deadline;
  idle_wake_.wake();
}

awaitable<void> ServerConnection::watch_idle() {
  while (!closed_ && !writer_done_) {
    const bool woken = co_await idle_wake_.wait(idle_deadline_);
    if (closed_ || writer_done_) break;
    if (woken || Clock::now() < idle_deadline_) continue;
    idle_deadline_ = Clock::time_point::max();
    if (headers_open_ > 0) {
      terminate(NGHTTP2_PROTOCOL_ERROR);
    } else if (streams_.empty() && running_ == 0) {
      // Idle: GOAWAY first, so a request the client sends meanwhile is known not to be taken.
      terminate(NGHTTP2_NO_ERROR);
    }
  }
  idle_watch_done_ = true;
  exchanges_done_.wake();
}

void ServerConnection::start_exchange(ServerStream& s) {
  ++running_;
  asio::co_spawn(executor(), serve_stream(s.shared_from_this(), *this), asio::detached);
}

int ServerConnection::on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame,
                                       void* user_data) {
  auto& c = self(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  const auto id = frame->hd.stream_id;
  auto s = std::make_shared<ServerStream>(c, id);
  nghttp2_session_set_stream_user_data(session, id, s.get());
  c.streams_.emplace(id, std::move(s));
  if (++c.headers_open_ == 1) c.arm_idle();
  return 0;
}

int ServerConnection::on_header(nghttp2_session*, const nghttp2_frame* frame,
                                const std::uint8_t* name, std::size_t namelen,
                                const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                                void* user_data) {
  auto* s = self(user_data).stream_of(frame->hd.stream_id);
  if (!s) return 0;
  s->on_header({reinterpret_cast<const char*>(name), namelen},
               {reinterpret_cast<const char*>(value), valuelen});
  return 0;
}

int ServerConnection::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& c = self(user_data);
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  bool cheap = false;  // A frame that moves no request along (flood_guard.hpp).
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      auto* s = c.stream_of(frame->hd.stream_id);
      if (!s) break;
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        if (--c.headers_open_ == 0) c.arm_idle();
        s->on_headers_end(end_stream);
        c.start_exchange(*s);
      } else {
        s->on_trailers_end();
      }
      break;
    }
    case NGHTTP2_DATA: {
      if (end_stream) {
        if (auto* s = c.stream_of(frame->hd.stream_id)) s->on_end_stream();
      } else if (frame->hd.length == 0) {
        cheap = true;
      }
      break;
    }
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING:
      cheap = (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0;
      break;
    case NGHTTP2_PRIORITY:
      cheap = true;
      break;
    default:
      break;
  }
  if (cheap && !c.flood_.take(Clock::now())) {
    log::warn("entrypoint " + std::string(c.facts_.entrypoint) + ": HTTP/2 client " +
              c.facts_.peer_text + " flooded the connection with control frames; GOAWAY");
    c.terminate(NGHTTP2_ENHANCE_YOUR_CALM);
  }
  return 0;
}

int ServerConnection::on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id,
                                    const std::uint8_t* data, std::size_t n, void* user_data) {
  auto* s = self(user_data).stream_of(id);
  if (!s) {
    // A stream we no longer serve: its bytes still count against the connection's window.
    nghttp2_session_consume_connection(session, n);
    return 0;
  }
  s->on_data(data, n);
  return 0;
}

int ServerConnection::on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error,
                                      void* user_data) {
  auto& c = self(user_data);
  auto it = c.streams_.find(id);
  if (it == c.streams_.end()) return 0;
  auto s = it->second;  // Alive through the callback even if its exchange has ended.
  if (!s->headers_done() && --c.headers_open_ == 0) c.arm_idle();
  s->on_close(error);
  c.streams_.erase(it);
  if (c.streams_.empty()) c.arm_idle();
  return 0;
}

int ServerConnection::on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    if (auto* s = self(user_data).stream_of(frame->hd.stream_id)) s->on_response_sent();
  }
  return 0;
}

}  // namespace wharf::dataplane::codec::http2
