#pragma once

#include <memory>
#include <optional>
#include <string>

#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/downstream.hpp"
#include "dataplane/proxy/exchange.hpp"
#include "dataplane/proxy/h1_relay.hpp"
#include "dataplane/proxy/relay_buffer.hpp"
#include "dataplane/server/local_reply.hpp"

namespace wharf::dataplane::codec::http2 {
class ServerConnection;
}

namespace wharf::dataplane::server {

class Worker;

// Serves one client connection: detects TLS (and with ALPN or the connection preface, HTTP/2,
// which codec::http2::ServerConnection then serves), and for HTTP/1.x reads request heads one
// after another and hands each to the exchange (proxy/exchange.hpp), acting as its Downstream.
// Requests are answered strictly in order, which is what makes pipelining safe.
class HttpSession final : public proxy::Downstream {
 public:
  HttpSession(Worker& worker, tcp::socket socket, const tcp::endpoint& peer,
              std::string entrypoint);
  // A connection whose first bytes were read to choose between TCP and HTTP routers
  // (server/connection.hpp): `peeked` is served first; `peer` may be the client a trusted
  // PROXY header named.
  HttpSession(Worker& worker, tcp::socket socket, const tcp::endpoint& peer, std::string entrypoint,
              beast::flat_buffer&& peeked);
  ~HttpSession() override;
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  awaitable<void> run();

  // Drain: a connection waiting for its next request is closed now; one with a request in
  // flight finishes that request and closes after it. An HTTP/2 connection says GOAWAY and
  // finishes its open streams.
  void close_if_idle();

  // proxy::Downstream, for the HTTP/1.x request being served.
  proxy::Protocol protocol() const override {
    return version_ == 10 ? proxy::Protocol::kHttp10 : proxy::Protocol::kHttp11;
  }
  awaitable<bool> write_reply(const middleware::Reply& reply,
                              const std::vector<middleware::HeaderOp>& ops,
                              bool keep_alive) override;
  awaitable<bool> relay(proxy::ForwardContext& ctx) override;
  bool request_body_follows() const override;
  std::optional<std::uint64_t> request_body_length() const override;
  awaitable<proxy::BodyPiece> read_body(char* buf, std::size_t size) override;
  http::fields* request_trailers() override;
  awaitable<error_code> send_continue() override;
  awaitable<error_code> send_interim(const http::response_header<>& head) override;
  awaitable<error_code> send_head(http::response_header<>& head,
                                  const proxy::ResponseBody& body) override;
  awaitable<error_code> send_body(const char* data, std::size_t n, bool last,
                                  http::fields* trailers) override;
  void abort() override;
  void stop_request_body() override;
  bool keep_alive_after() const override;

 private:
  // Reads the first bytes and, when they start a TLS handshake, completes it (SNI picks the
  // certificate); false when the connection is over before its first request.
  awaitable<bool> detect_tls();
  // Whether the connection speaks HTTP/2: ALPN chose h2, or (in clear) the client sent the
  // HTTP/2 connection preface (RFC 9113 section 3.4), read here as far as needed to tell.
  // False where the entrypoint has HTTP/2 off: the preface then reads as a bad request.
  awaitable<bool> detect_http2();
  awaitable<void> serve_http2();
  // Handles one request; false when the connection must close afterwards.
  awaitable<bool> handle_request();
  awaitable<error_code> write_all(std::string_view bytes);

  Worker& worker_;
  Stream stream_;
  std::string entrypoint_;
  proxy::ConnectionFacts facts_;
  proxy::Exchange exchange_;
  std::unique_ptr<codec::http2::ServerConnection> h2_;
  beast::flat_buffer buffer_;
  beast::flat_buffer upstream_buffer_;
  proxy::RelayBuffer relay_buffer_;
  bool waiting_ = false;  // True while no byte of the next request has arrived.
  // The client may still be sending what the last request left unread: a body that was refused
  // or not forwarded, or whatever follows a refused head. Closing then lingers (Stream::shutdown).
  bool may_be_sending_ = false;
  unsigned version_ = 11;
  bool head_request_ = false;
  // The request being served (its parser lives in handle_request's frame) and, for the message
  // relay, how its body and response go.
  proxy::RequestParser* parser_ = nullptr;
  bool body_read_ = false;  // The request body was read to its end.
  bool response_chunked_ = false;
  bool response_started_ = false;
  bool response_keep_ = false;
  bool aborted_ = false;
  // Scratch strings reused across requests on this connection.
  std::string head_, origin_target_;
};

}  // namespace wharf::dataplane::server
