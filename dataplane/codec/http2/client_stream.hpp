#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "dataplane/codec/http2/body_queue.hpp"
#include "dataplane/codec/http2/fields.hpp"
#include "dataplane/codec/http2/session.hpp"
#include "dataplane/proxy/downstream.hpp"

namespace wharf::dataplane::codec::http2 {

class ClientConnection;

// One request stream on a pooled HTTP/2 connection to a server: the request body waits in a
// bounded buffer for the server's window, response heads (interim ones first) and body pieces
// wait here for the exchange. Kept by the connection until nghttp2 closes the stream, and by
// the exchange (proxy/h2_upstream) for as long as it uses it.
class ClientStream final : public std::enable_shared_from_this<ClientStream> {
 public:
  ClientStream(std::shared_ptr<ClientConnection> connection, std::size_t max_header_list);
  ~ClientStream();

  ClientConnection& connection() { return *conn_; }
  std::int32_t id() const { return id_; }

  // Called by the connection as frames arrive.
  void on_begin_headers();
  void on_header(std::string_view name, std::string_view value);
  void on_headers_end(bool end_stream);
  void on_data(const std::uint8_t* data, std::size_t n);
  void on_end_stream();
  void on_close(std::uint32_t error);

  // The next response head, waiting until `deadline`. Nothing when the stream closed first
  // (`closed()` and `error()` say how) or the deadline passed.
  awaitable<std::optional<http::response_header<>>> next_head(
      std::chrono::steady_clock::time_point deadline);
  // Whether the final head's frame ended the stream (no body follows).
  bool ended_with_head() const { return ended_with_head_; }
  awaitable<proxy::BodyPiece> read_body(char* buf, std::size_t size,
                                        std::chrono::milliseconds idle);
  http::fields* trailers() { return has_trailers_ ? &trailers_ : nullptr; }
  awaitable<error_code> send_body(const char* data, std::size_t n, bool last,
                                  http::fields* trailers, std::chrono::milliseconds idle);
  void reset(std::uint32_t error);
  bool closed() const { return closed_; }
  std::uint32_t error() const { return error_; }
  bool request_done() const { return out_ended_ && out_.empty(); }

  // nghttp2's data source for the request body.
  static ssize_t read_request(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                              std::uint32_t* flags, nghttp2_data_source*, void*);

  // How much of a request body waits here for the server's window at most.
  static constexpr std::size_t kBuffer = 64 * 1024;

 private:
  friend class ClientConnection;
  std::size_t queued() const { return out_.size(); }
  void consume(std::size_t n);

  std::shared_ptr<ClientConnection> conn_;
  std::int32_t id_ = -1;
  std::size_t max_header_list_;
  // The response.
  std::deque<http::response_header<>> heads_;
  http::response_header<> building_;
  bool building_status_ = false;  // The header block being read has a :status.
  std::size_t header_size_ = 0;
  bool too_large_ = false;
  bool final_seen_ = false;
  bool ended_with_head_ = false;
  BodyQueue in_;
  bool in_ended_ = false;
  http::fields trailers_;
  bool has_trailers_ = false;
  Waiter read_wake_;
  // The request body.
  BodyQueue out_;
  bool out_ended_ = false;
  HeaderBlock trailer_block_;
  Waiter write_wake_;
  bool closed_ = false;
  std::uint32_t error_ = 0;
};

}  // namespace wharf::dataplane::codec::http2
