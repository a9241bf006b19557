#pragma once

#include <chrono>
#include <memory>
#include <unordered_map>

#include "dataplane/codec/http2/fields.hpp"
#include "dataplane/codec/http2/session.hpp"
#include "dataplane/io/stream.hpp"

namespace wharf::dataplane::codec::http2 {

class ClientStream;

// Owns the socket a Session drives; a base so it is made before the Session that refers to it.
struct OwnedStream {
  explicit OwnedStream(std::unique_ptr<Stream> s) : owned(std::move(s)) {}
  std::unique_ptr<Stream> owned;
};

// An HTTP/2 connection to one server (h2c with prior knowledge, or TLS where ALPN chose h2),
// pooled by the worker (client_pool.hpp) and shared by the exchanges whose requests it carries
// as streams, up to the server's SETTINGS_MAX_CONCURRENT_STREAMS. Response bodies reopen the
// server's window only as the exchanges take them (nghttp2's automatic WINDOW_UPDATE is off),
// so a slow client holds back its own stream, never the connection.
class ClientConnection final : private OwnedStream,
                               public Session,
                               public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(std::unique_ptr<Stream> stream, bool tls);
  ~ClientConnection() override;

  // Spawns the reader and the writer; the connection lives as long as they or a user do.
  void start();
  // Takes new streams: open, no GOAWAY either way, under the server's stream limit.
  bool has_room() const;
  bool usable() const;
  std::size_t open_streams() const { return streams_.size(); }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  bool tls() const { return tls_; }
  // Submits a request on a new stream for `s` (its request body, if `with_body`, is pulled from
  // it); false when the connection cannot take it (nghttp2's reason is logged by the caller).
  bool submit(const std::shared_ptr<ClientStream>& s, HeaderBlock& block, bool with_body);
  // GOAWAY: the streams it has finish, no new ones are sent.
  void shut_down();

 private:
  friend class ClientStream;
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_header(nghttp2_session*, const nghttp2_frame*, const std::uint8_t*, std::size_t,
                       const std::uint8_t*, std::size_t, std::uint8_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t, const std::uint8_t*,
                           std::size_t, void*);
  static int on_stream_close(nghttp2_session*, std::int32_t, std::uint32_t, void*);
  awaitable<void> run();
  ClientStream* stream_of(std::int32_t id) const;
  void fail_all();

  bool tls_;
  std::unordered_map<std::int32_t, std::shared_ptr<ClientStream>> streams_;
  std::chrono::steady_clock::time_point idle_since_;
  bool goaway_ = false;
};

}  // namespace wharf::dataplane::codec::http2
