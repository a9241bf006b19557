#pragma once

#include <memory>
#include <optional>
#include <string>

#include "dataplane/codec/http2/body_queue.hpp"
#include "dataplane/codec/http2/fields.hpp"
#include "dataplane/codec/http2/session.hpp"
#include "dataplane/proxy/downstream.hpp"
#include "dataplane/proxy/exchange.hpp"

namespace wharf::dataplane::codec::http2 {

class ServerConnection;

// One request stream of an HTTP/2 client connection, and the Downstream of its exchange: the
// request body arrives in DATA frames into a buffer the exchange takes from (the client's
// window reopens only as it does: nghttp2's automatic WINDOW_UPDATE is off), and the response
// goes out through a data source nghttp2 pulls from as the client's window allows, the
// exchange waiting while the buffer is over its bound. Owned by the connection until nghttp2
// closes the stream, and by the exchange's coroutine until it ends.
class ServerStream final : public proxy::Downstream,
                           public std::enable_shared_from_this<ServerStream> {
 public:
  ServerStream(ServerConnection& connection, std::int32_t id);
  ~ServerStream() override;

  std::int32_t id() const { return id_; }
  // Header fields as nghttp2 hands them over: the request's, then (after the body) trailers.
  void on_header(std::string_view name, std::string_view value);
  // The request head has ended; `end_stream` when no body follows.
  void on_headers_end(bool end_stream);
  void on_trailers_end();
  void on_data(const std::uint8_t* data, std::size_t n);
  void on_end_stream();
  void on_close(std::uint32_t error);
  // Our response's last frame went out.
  void on_response_sent();
  bool headers_done() const { return headers_done_; }
  // The connection's buffered bytes went under their bound.
  void room_freed() { write_wake_.wake(); }

  // Runs the exchange of this stream to its end.
  awaitable<void> serve();

  // proxy::Downstream.
  proxy::Protocol protocol() const override { return proxy::Protocol::kHttp2; }
  awaitable<bool> write_reply(const middleware::Reply& reply,
                              const std::vector<middleware::HeaderOp>& ops,
                              bool keep_alive) override;
  awaitable<bool> relay(proxy::ForwardContext& ctx) override;
  bool request_body_follows() const override { return body_follows_; }
  std::optional<std::uint64_t> request_body_length() const override {
    return builder_.content_length();
  }
  awaitable<proxy::BodyPiece> read_body(char* buf, std::size_t size) override;
  http::fields* request_trailers() override { return has_trailers_ ? &trailers_ : nullptr; }
  awaitable<error_code> send_continue() override;
  awaitable<error_code> send_interim(const http::response_header<>& head) override;
  awaitable<error_code> send_head(http::response_header<>& head,
                                  const proxy::ResponseBody& body) override;
  awaitable<error_code> send_body(const char* data, std::size_t n, bool last,
                                  http::fields* trailers) override;
  void abort() override;
  void stop_request_body() override;
  bool keep_alive_after() const override { return false; }

  // nghttp2's data source for the response body.
  static ssize_t read_response(nghttp2_session*, std::int32_t, std::uint8_t* buf,
                               std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                               void*);

 private:
  bool gone() const { return closed_ || reset_; }
  void reset(std::uint32_t error);
  // Gives the client back the window of `n` request body bytes taken.
  void consume(std::size_t n);
  void submit(HeaderBlock& block, bool with_body);
  std::size_t queued() const { return out_.size(); }
  std::chrono::steady_clock::time_point body_deadline() const;

  ServerConnection& conn_;
  std::int32_t id_;
  RequestHeadBuilder builder_;
  http::request_header<> head_;
  bool headers_done_ = false;
  bool body_follows_ = false;
  proxy::Exchange exchange_;
  // The request body as it arrived, not yet taken by the exchange.
  BodyQueue in_;
  bool in_ended_ = false;
  bool request_stopped_ = false;  // The exchange wants no more of it (consumed on arrival).
  http::fields trailers_;
  std::size_t trailer_size_ = 0;
  bool has_trailers_ = false;
  Waiter read_wake_;
  // The response.
  HeaderBlock block_;
  HeaderBlock trailer_block_;
  BodyQueue out_;
  bool out_ended_ = false;
  bool response_started_ = false;
  bool response_sent_ = false;  // Its last frame went out.
  bool rst_after_response_ = false;
  Waiter write_wake_;
  bool closed_ = false;  // nghttp2 closed the stream.
  bool reset_ = false;   // We reset it.
  bool served_ = false;  // The exchange has ended.
};

}  // namespace wharf::dataplane::codec::http2
