#pragma once

#include <memory>
#include <unordered_map>

#include "dataplane/codec/http2/flood_guard.hpp"
#include "dataplane/codec/http2/session.hpp"
#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/exchange.hpp"
#include "model/routing_table.hpp"

namespace wharf::dataplane::server {
class Worker;
}

namespace wharf::dataplane::codec::http2 {

class ServerStream;

// The bounds an HTTP/2 client connection is held to.
struct ServerSettings {
  std::uint32_t max_concurrent_streams = 128;  // SETTINGS_MAX_CONCURRENT_STREAMS.
  std::uint32_t max_header_list = 64 * 1024;   // SETTINGS_MAX_HEADER_LIST_SIZE; over: 431.
  // The client may send this much of a request body before the exchange takes it, per stream
  // and per connection: what a connection's uploads can hold in memory at most.
  std::uint32_t stream_window = 256 * 1024;
  std::uint32_t connection_window = 1024 * 1024;
  // A response body waits in a stream's buffer for the client's window up to this much, and
  // up to `connection_buffer` across the connection's streams.
  std::size_t stream_buffer = 64 * 1024;
  std::size_t connection_buffer = 1024 * 1024;
};

// An HTTP/2 client connection (RFC 9113), after ALPN chose h2 or the client sent the
// connection preface on a plain entrypoint. Each request stream runs its own exchange
// (proxy/exchange.hpp) as a coroutine of the worker, with the stream as its Downstream
// (server_stream.hpp); the connection reads frames, writes what nghttp2 has to send, and holds
// the client to its bounds: concurrent streams, header list size, buffered bytes, and floods of
// cheap frames (flood_guard.hpp) or of streams reset as soon as they are opened (CVE-2023-44487:
// the offender gets GOAWAY, ENHANCE_YOUR_CALM). Idle, it says GOAWAY after the entrypoint's
// idle timeout; draining, it says GOAWAY at once and finishes the streams it has.
class ServerConnection final : public Session {
 public:
  ServerConnection(server::Worker& worker, Stream& stream, beast::flat_buffer& preread,
                   const proxy::ConnectionFacts& facts, const model::EntryPointTimeouts& timeouts,
                   const ServerSettings& settings);
  ~ServerConnection() override;

  // Serves the connection until it ends and every stream's exchange has finished.
  awaitable<void> run();
  // GOAWAY now: streams already open finish, no new ones are taken.
  void drain();

  server::Worker& worker() { return worker_; }
  const proxy::ConnectionFacts& facts() const { return facts_; }
  const model::EntryPointTimeouts& timeouts() const { return timeouts_; }
  const ServerSettings& settings() const { return settings_; }
  // Response bytes buffered across the connection's streams, waiting for the client's windows.
  std::size_t& buffered() { return buffered_; }
  // A stream's exchange has finished.
  void exchange_done();
  // Streams waiting because the connection's buffered bytes are over their bound, woken when
  // the client's windows take some.
  void wait_for_room(ServerStream* s) { room_waiters_.push_back(s); }
  void stop_waiting_for_room(ServerStream* s) { std::erase(room_waiters_, s); }
  void room_freed();

 private:
  friend class ServerStream;
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_header(nghttp2_session*, const nghttp2_frame*, const std::uint8_t*, std::size_t,
                       const std::uint8_t*, std::size_t, std::uint8_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t, const std::uint8_t*,
                           std::size_t, void*);
  static int on_stream_close(nghttp2_session*, std::int32_t, std::uint32_t, void*);
  static int on_frame_send(nghttp2_session*, const nghttp2_frame*, void*);

  ServerStream* stream_of(std::int32_t id) const;
  void start_exchange(ServerStream& s);
  // Says GOAWAY with `error` and stops taking anything from the client.
  void terminate(std::uint32_t error);
  awaitable<void> before_read() override;
  awaitable<void> watch_idle();
  void arm_idle();

  server::Worker& worker_;
  beast::flat_buffer& preread_;
  const proxy::ConnectionFacts& facts_;
  model::EntryPointTimeouts timeouts_;
  ServerSettings settings_;
  std::unordered_map<std::int32_t, std::shared_ptr<ServerStream>> streams_;
  std::size_t running_ = 0;       // Exchanges not finished (reset streams' included).
  std::size_t headers_open_ = 0;  // Streams whose header block has not ended.
  std::size_t buffered_ = 0;
  FloodGuard flood_;
  Waiter read_wake_;  // The reader, held back while too many exchanges run.
  std::vector<ServerStream*> room_waiters_;
  Waiter idle_wake_;
  Waiter exchanges_done_;
  std::chrono::steady_clock::time_point idle_deadline_ =
      std::chrono::steady_clock::time_point::max();
  bool draining_ = false;
  bool idle_watch_done_ = false;
};

}  // namespace wharf::dataplane::codec::http2
