#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <string>

#include "dataplane/io/stream.hpp"

namespace wharf::dataplane::codec::http2 {

// A wait that another coroutine of the same worker ends: `wait` suspends until `wake` is called
// or `deadline` passes. One waiter at a time. The waiter checks its condition before waiting
// and after waking: a worker runs one coroutine at a time, so no wake is lost between the two.
class Waiter {
 public:
  explicit Waiter(const asio::any_io_executor& ex) : timer_(ex) {}
  // True when woken, false when the deadline passed first.
  awaitable<bool> wait(std::chrono::steady_clock::time_point deadline =
                           std::chrono::steady_clock::time_point::max());
  void wake() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

// One HTTP/2 connection as nghttp2 drives it from a worker's io_context: bytes read from the
// socket go in through nghttp2_session_mem_recv, frames to send come out of
// nghttp2_session_mem_send and are written by one writer coroutine (RFC 9113's framing, HPACK
// and flow control are nghttp2's; sockets, deadlines and the order of work are ours). The
// server (server_connection) and the client (client_connection) build on it.
class Session {
 public:
  Session(Stream& stream, std::chrono::milliseconds write_timeout);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  nghttp2_session* native() const { return session_; }
  asio::any_io_executor executor() { return stream_.get_executor(); }
  // Frames may be waiting to be sent: the writer wakes (cheap when it is awake already).
  void flush() { write_wake_.wake(); }
  // The connection is over (the peer went away, a protocol error, a GOAWAY finished).
  bool closed() const { return closed_; }

 protected:
  // Feeds `bytes` to nghttp2; false on a fatal error (the connection is then closed).
  bool receive(const char* bytes, std::size_t n);
  // Reads and feeds until the connection ends or nghttp2 wants nothing more. Between reads
  // `before_read` may hold the reader back (it returns once reading may go on).
  awaitable<void> read_loop();
  // Writes what nghttp2 has to send, as it comes, until the connection ends.
  awaitable<void> write_loop();
  // Ends the connection: both loops stop (the writer after what it is writing).
  void close();
  // The server holds the reader back while too many exchanges run.
  virtual awaitable<void> before_read() { co_return; }

  Stream& stream_;
  nghttp2_session* session_ = nullptr;
  Waiter write_wake_;
  Waiter done_wake_;  // Woken when the writer ends.
  std::chrono::milliseconds write_timeout_;
  bool closed_ = false;
  bool stopped_ = false;  // Nothing more is read: a fatal error's GOAWAY is being sent.
  bool writer_done_ = false;

 private:
  std::string out_;
};

}  // namespace wharf::dataplane::codec::http2
