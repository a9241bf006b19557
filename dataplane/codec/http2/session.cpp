#include "dataplane/codec/http2/session.hpp"
#include "dataplane/io/stream.hpp"

#include <boost/asio/write.hpp>

#include "dataplane/proxy/wire.hpp"

namespace wharf::dataplane::codec::http2 {
namespace {

// What the writer gathers from nghttp2 before a write: many small frames (HEADERS, WINDOW_UPDATE,
// short DATA) go out in one system call, and a large body in writes of this size.
constexpr std::size_t kWriteBatch = 64 * 1024;
constexpr std::size_t kReadSize = 16 * 1024;

}  // namespace

awaitable<bool> Waiter::wait(std::chrono::steady_clock::time_point deadline) {
  timer_.expires_at(deadline);
  auto [ec] = co_await timer_.async_wait(kNoThrow);
  co_return ec == asio::error::operation_aborted;
}

Session::Session(Stream& stream, std::chrono::milliseconds write_timeout)
    : stream_(stream),
      write_wake_(stream.get_executor()),
      done_wake_(stream.get_executor()),
      write_timeout_(write_timeout) {}

Session::~Session() {
  if (session_) nghttp2_session_del(session_);
}

bool Session::receive(const char* bytes, std::size_t n) {
  const auto rv =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(bytes), n);
  if (rv < 0) {
    // Protocol errors nghttp2 answers itself with GOAWAY, keeping rv non-negative. What comes
    // here is fatal: not HTTP/2 at all (a bad preface: nothing to say), or a flood nghttp2
    // caught (acknowledgements the peer never reads, a header block in too many CONTINUATION
    // frames). The peer is told GOAWAY (ENHANCE_YOUR_CALM) if the session can still say it;
    // nothing more is read either way, and the writer ends the connection once it is out.
    if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC ||
        nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM) != 0) {
      close();
    } else {
      stopped_ = true;
      flush();
    }
    return false;
  }
  flush();
  return true;
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  stream_.cancel();  // The reader's pending read ends.
  flush();
}

awaitable<void> Session::read_loop() {
  auto buf = std::make_unique<char[]>(kReadSize);
  while (!closed_ && !stopped_) {
    co_await before_read();
    if (closed_) break;
    if (!nghttp2_session_want_read(session_)) break;
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buf.get(), kReadSize), kNoThrow);
    if (ec) {
      closed_ = true;  // The peer is gone; nothing more can be sent either.
      flush();
      break;
    }
    if (!receive(buf.get(), n)) break;
  }
}

awaitable<void> Session::write_loop() {
  // Once closed, nghttp2 is not asked for more: its data sources may point at streams that
  // are gone.
  while (!closed_) {
    out_.clear();
    while (out_.size() < kWriteBatch) {
      const std::uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        closed_ = true;
        break;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (!out_.empty()) {
      stream_.expires_after(write_timeout_);
      std::array<asio::const_buffer, 1> only{asio::buffer(out_)};
      error_code ec;
      if (!proxy::write_now(stream_, only, ec)) {
        std::tie(ec, std::ignore) =
            co_await asio::async_write(stream_, only, proxy::whole_write, kNoThrow);
      }
      stream_.expires_never();
      if (ec) {
        closed_ = true;
        stream_.cancel();
        break;
      }
      continue;
    }
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
      // The session is over (a GOAWAY went out and no stream is left): the reader stops.
      close();
      break;
    }
    co_await write_wake_.wait();
  }
  writer_done_ = true;
  done_wake_.wake();
}

}  // namespace wharf::dataplane::codec::http2
