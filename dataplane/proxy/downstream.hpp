#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "dataplane/io/net.hpp"
#include "dataplane/middleware/middleware.hpp"
#include "dataplane/proxy/protocol.hpp"

namespace wharf::dataplane::proxy {

struct ForwardContext;

// A piece of a message body as a codec hands it over.
struct BodyPiece {
  error_code ec;           // The body broke: the peer went away, a bad chunk, a reset stream.
  std::size_t n = 0;       // Bytes written into the caller's buffer.
  bool last = false;       // The body ended with these bytes (trailers, if any, are then readable).
  bool timed_out = false;  // The peer sent nothing for the body's idle timeout.
};

// How the response body that follows a head is delimited, as the exchange knows it. Each codec
// frames it its own way (HTTP/1.1: Content-Length, chunked or close; HTTP/2: DATA frames).
struct ResponseBody {
  bool follows = false;                 // A body follows the head (not HEAD, 204, 304).
  std::optional<std::uint64_t> length;  // Its length when known ahead.
  bool trailers = false;                // Trailer fields may follow it.
};

// The client side of one exchange, whatever protocol the client speaks: how the exchange's
// replies reach the client, and, for the relay that works on messages (proxy/message_relay:
// every pairing but HTTP/1.1 on both sides), the request body as pieces and the response as a
// head, pieces and trailers. An HTTP/1.1 connection is one at a time; an HTTP/2 stream is one.
class Downstream {
 public:
  virtual ~Downstream() = default;

  virtual Protocol protocol() const = 0;

  // A reply of the data plane's own or a middleware's, written whole, with `ops` (the
  // middlewares' response header changes) applied; to a gRPC call, as the gRPC status it
  // amounts to (server::grpc_reply). `keep_alive` says whether an HTTP/1.1 connection may
  // carry another request after it. Returns whether it may (false when the write failed);
  // HTTP/2 streams return false, their connection goes on regardless.
  awaitable<bool> send_reply(const middleware::Reply& reply,
                             const std::vector<middleware::HeaderOp>& ops, bool keep_alive);
  // The request is a gRPC call (the exchange looks at its content type once).
  void set_grpc(bool grpc) { grpc_ = grpc; }
  // While a relay waits on a server, what to do when the client goes away (an HTTP/2 stream
  // reset, its connection lost): stop the server's side at once, so a client that opens and
  // cancels requests costs the servers nothing more. Empty: nothing.
  void on_cancel(std::function<void()> f) { on_cancel_ = std::move(f); }
  // The client went away: nothing more can reach it, and no retry is worth making.
  bool cancelled() const { return cancelled_; }

  // Sends the request to ctx.server and relays the answer, trying other servers as
  // proxy::forward decides: the relay is the pairing's (HTTP/1.1 on both sides relays bytes
  // as they come; any pairing with HTTP/2 relays messages). Returns whether the client
  // connection may carry another request.
  virtual awaitable<bool> relay(ForwardContext& ctx) = 0;

  // ---- The request body ----
  // Whether a body follows the request head.
  virtual bool request_body_follows() const = 0;
  // The body's length when the client said it (Content-Length).
  virtual std::optional<std::uint64_t> request_body_length() const = 0;
  // The next piece of the request body, at most `size` bytes into `buf`. Waits at most the
  // entrypoint's body idle timeout for bytes.
  virtual awaitable<BodyPiece> read_body(char* buf, std::size_t size) = 0;
  // The request's trailer fields, once the last piece was read; null when there were none.
  virtual http::fields* request_trailers() = 0;
  // The request asked for `Expect: 100-continue`; the interim response the client waits for
  // before sending its body (HTTP/1.1 only; HTTP/2 clients send their body regardless).
  virtual awaitable<error_code> send_continue() = 0;

  // ---- The response ----
  // An interim (1xx) response, hop-by-hop fields already removed.
  virtual awaitable<error_code> send_interim(const http::response_header<>& head) = 0;
  // The final response head; hop-by-hop fields are removed and the middlewares' changes
  // applied by the caller. The codec adds its own framing.
  virtual awaitable<error_code> send_head(http::response_header<>& head,
                                          const ResponseBody& body) = 0;
  // A piece of the response body; `last` ends it, with `trailers` (may be null). Waits while
  // the client is not taking the bytes (its flow-control window, its socket), at most the
  // entrypoint's body idle timeout.
  virtual awaitable<error_code> send_body(const char* data, std::size_t n, bool last,
                                          http::fields* trailers) = 0;
  // The response started and cannot be completed: the client must learn it is cut short
  // (HTTP/1.1: the connection closes; HTTP/2: the stream is reset).
  virtual void abort() = 0;
  // The response is complete while the client is still sending its body: the rest is not
  // wanted (HTTP/2: RST_STREAM with NO_ERROR, RFC 9113 section 8.1; HTTP/1.1: the connection
  // closes after the response). A read_body waiting for it completes with an error.
  virtual void stop_request_body() = 0;
  // Whether the client connection may carry another request after this exchange (HTTP/1.1):
  // the client wants it, its request was read whole, the response (if one started) completes
  // and the worker is not draining.
  virtual bool keep_alive_after() const = 0;

 protected:
  // The codec's writing of a whole reply (send_reply's part).
  virtual awaitable<bool> write_reply(const middleware::Reply& reply,
                                      const std::vector<middleware::HeaderOp>& ops,
                                      bool keep_alive) = 0;
  // The codec saw the client go away.
  void cancel() {
    cancelled_ = true;
    if (auto f = std::move(on_cancel_)) f();
  }

 private:
  bool grpc_ = false;
  bool cancelled_ = false;
  std::function<void()> on_cancel_;
};

}  // namespace wharf::dataplane::proxy
