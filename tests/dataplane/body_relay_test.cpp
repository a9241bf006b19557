// relay_length (dataplane/proxy/body_relay.hpp) and write_now (wire.hpp) between real loopback
// sockets: how a body of known length leaves the data plane. And the parse step of chunked
// bodies (detail::next_piece), fed bytes in pieces without sockets.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <thread>

#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/body_relay.hpp"
#include "dataplane/proxy/wire.hpp"
#include "test_common/chunked_feed.hpp"
#include "test_common/tcp_received.hpp"

namespace wharf::dataplane::proxy {
namespace {

using namespace std::chrono_literals;

// Buffers large enough that neither window nor send buffer ever holds a write back: the
// segments then follow the relay's writes alone.
constexpr int kBuffers = 16 << 20;

bool force_buffers(int fd) {
  return ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kBuffers, sizeof kBuffers) == 0 &&
         ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kBuffers, sizeof kBuffers) == 0;
}

// A loopback connection: `near` in the io_context, `far` a blocking descriptor for a thread.
// With `large_buffers`, both ends get kBuffers before the handshake (the window scale is chosen
// then); `forced` is false when the process may not (SO_RCVBUFFORCE needs CAP_NET_ADMIN).
struct Connection {
  tcp::socket near;
  int far;
  bool forced;
};

Connection connect_loopback(asio::io_context& io, bool large_buffers = true) {
  tcp::acceptor acceptor(io);
  acceptor.open(tcp::v4());
  // Inherited by `near`.
  const bool forced = large_buffers && force_buffers(acceptor.native_handle());
  acceptor.bind({asio::ip::address_v4::loopback(), 0});
  acceptor.listen();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (large_buffers) force_buffers(fd);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(acceptor.local_endpoint().port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  tcp::socket near = acceptor.accept();
  near.set_option(tcp::no_delay(true));  // As the data plane sets it on every connection.
  return {std::move(near), fd, forced};
}

int segment_size(Stream& s) {
  int mss = 0;
  socklen_t len = sizeof mss;
  ::getsockopt(s.socket().native_handle(), IPPROTO_TCP, TCP_MAXSEG, &mss, &len);
  return mss;
}

// Each piece read from a socket goes out as whole segments of the outgoing connection and in
// one call: the receiver gets a 4 MiB body in 4 MiB / MSS segments and one short one at the
// end. Cut into pieces of Asio's default 64 KiB per call, each ended in a short segment
// (65,536 bytes are 65,483 and 53 on loopback), 128 segments; read 256 KiB at a time, each
// piece ended in one.
TEST(BodyRelay, ALargeBodyLeavesInWholeSegments) {
  asio::io_context io;
  auto from = connect_loopback(io);
  auto to = connect_loopback(io);
  if (!from.forced || !to.forced) {
    ::close(from.far);
    ::close(to.far);
    GTEST_SKIP() << "SO_RCVBUFFORCE needs CAP_NET_ADMIN";
  }
  Stream in(std::move(from.near)), out(std::move(to.near));
  std::atomic<std::size_t> received{0};
  std::thread sink([&, fd = to.far] {
    char buf[1 << 16];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) received += n;
  });

  constexpr std::size_t kBody = 4 << 20;
  const std::string body(kBody, 'x');
  RelayBuffer relay;
  beast::flat_buffer in_buffer;
  std::string head;
  std::size_t sent = 0;
  auto relay_one_body = [&] {
    // The whole body waits in `in` before the relay starts: every read finds a full piece.
    std::thread sender([&] {
      for (std::size_t off = 0; off < kBody;) {
        const ssize_t n = ::send(from.far, body.data() + off, kBody - off, 0);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
      }
    });
    int queued = 0;
    for (auto until = std::chrono::steady_clock::now() + 5s;
         queued < static_cast<int>(kBody) && std::chrono::steady_clock::now() < until;) {
      ::ioctl(in.socket().native_handle(), FIONREAD, &queued);
    }
    if (queued < static_cast<int>(kBody)) ::shutdown(from.far, SHUT_RDWR);  // Frees the sender.
    sender.join();
    ASSERT_EQ(queued, static_cast<int>(kBody));
    sent += kBody;
    std::optional<RelayResult> result;
    asio::co_spawn(io, relay_length(in, in_buffer, kBody, 5s, out, head, 5s, relay),
                   [&](std::exception_ptr, RelayResult r) { result = r; });
    while (!result) io.run_one();  // Not run(): the idle deadlines' timer stays armed.
    ASSERT_EQ(result->status, RelayStatus::kOk) << result->ec.message();
    ASSERT_EQ(result->bytes, kBody);
    while (received < sent) std::this_thread::sleep_for(1ms);
  };
  // The first body grows the windows, and with them the segment size (the kernel bounds it
  // by half the largest window the peer has offered).
  relay_one_body();
  const auto before = wharf::test::tcp_received(to.far).segments;
  relay_one_body();
  const auto segments = wharf::test::tcp_received(to.far).segments - before;
  const int mss = segment_size(out);
  ASSERT_GT(mss, 0);
  EXPECT_LE(segments, kBody / mss + 2) << "segment size " << mss;

  out.close();
  sink.join();
  ::close(from.far);
  ::close(to.far);
}

// write_now writes what the socket takes at once and leaves the rest, exactly, for Asio's
// write: a body larger than both socket buffers together arrives whole and in order.
TEST(BodyRelay, WriteNowLeavesExactlyTheRestForAsio) {
  asio::io_context io;
  auto conn = connect_loopback(io, false);
  Stream out(std::move(conn.near));
  const std::string head(5, '\xff');  // A value the body's bytes never take.
  std::string body(32 << 20, '\0');   // More than default socket buffers hold.
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i % 251);

  std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(body)};
  error_code ec;
  ASSERT_FALSE(write_now(out, parts, ec)) << "the socket took " << body.size() << " bytes";
  ASSERT_FALSE(ec) << ec.message();
  const std::size_t left = asio::buffer_size(parts);
  EXPECT_GT(left, 0u);
  EXPECT_LT(left, body.size());  // Something went out at once.

  // Checked as it arrives: the head's bytes, then the body's pattern.
  std::size_t received = 0, wrong = 0;
  std::thread sink([&, fd = conn.far] {
    char buf[1 << 16];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
      for (ssize_t i = 0; i < n; ++i, ++received) {
        const char want = received < head.size()
                              ? head[received]
                              : static_cast<char>((received - head.size()) % 251);
        if (buf[i] != want) ++wrong;
      }
    }
  });
  std::optional<error_code> done;
  asio::async_write(out, parts, whole_write, [&](error_code e, std::size_t) { done = e; });
  while (!done) io.run_one();
  EXPECT_FALSE(*done) << done->message();
  out.close();
  sink.join();
  ::close(conn.far);
  EXPECT_EQ(received, head.size() + body.size());
  EXPECT_EQ(wrong, 0u);
}

// A chunk with its head and the last chunk, larger than the socket buffers: write_body_part
// sends what the socket takes at once (five pieces in one sendmsg) and Asio the rest, so the
// framing must come out exactly as written in one go.
TEST(BodyRelay, ChunkedPartPastTheSocketBuffersArrivesFramed) {
  asio::io_context io;
  auto conn = connect_loopback(io, false);
  Stream out(std::move(conn.near));
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body(24 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i % 251);
  const std::string want = head + "1800000\r\n" + body + "\r\n0\r\n\r\n";

  std::string got;
  std::thread sink([&, fd = conn.far] {
    char buf[1 << 16];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, n);
  });
  std::optional<error_code> done;
  asio::co_spawn(io, write_body_part(out, head, body.data(), body.size(), true, true),
                 [&](std::exception_ptr, error_code e) { done = e; });
  while (!done) io.run_one();
  EXPECT_FALSE(*done) << done->message();
  out.close();
  sink.join();
  ::close(conn.far);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "first difference at byte "
                           << std::mismatch(got.begin(), got.end(), want.begin()).first -
                                  got.begin();
}

// A peer that has gone: an error to return, never a SIGPIPE that would end the process.
TEST(BodyRelay, WriteNowToAClosedPeerFails) {
  asio::io_context io;
  auto conn = connect_loopback(io, false);
  Stream out(std::move(conn.near));
  ::close(conn.far);
  const std::string bytes(1024, 'x');
  error_code ec;
  for (int i = 0; i < 100 && !ec; ++i) {
    std::array<asio::const_buffer, 1> one{asio::buffer(bytes)};
    EXPECT_TRUE(write_now(out, one, ec) || ec);  // All of it went, or it failed.
    std::this_thread::sleep_for(1ms);            // For the peer's reset to come back.
  }
  EXPECT_TRUE(ec == asio::error::broken_pipe || ec == asio::error::connection_reset)
      << ec.message();
}

// The relay's parse step (detail::next_piece) gives the same body whatever pieces the bytes
// come in and whatever the body buffer holds: chunks cut inside the size line, between CR and
// LF, inside the data (which holds CRs and LFs of its own), with extensions and trailers.
TEST(BodyRelay, TheParseStepGivesTheSameBodyAndTrailersHoweverTheBytesCome) {
  std::string data(3000, 'd');
  for (std::size_t i = 0; i < data.size(); i += 7) data[i] = '\n';
  for (std::size_t i = 0; i < data.size(); i += 11) data[i] = '\r';
  std::string ones;
  for (int i = 0; i < 200; ++i) ones += std::string("1\r\n") + data[i] + "\r\n";
  struct Case {
    std::string bytes, body, ending;
  };
  const Case cases[] = {
      {"5\r\nhello\r\n0\r\n\r\n", "hello", ""},
      {"0005;a=1;b=\"x y\"\r\nhello\r\na\r\n0123456789\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n",
       "hello0123456789", "0\r\nX-T: 1\r\nX-U: 2\r\n\r\n"},
      {ones + "0\r\n\r\n", data.substr(0, 200), ""},
      {"bb8\r\n" + data + "\r\n0\r\nConnection: x-hop\r\nX-Hop: 1\r\nTE: t\r\n\r\n", data, ""},
      {"1\r\n!\r\n0\r\nx-t:\t a b \r\nKeep-Alive: 1\r\nX-T: 2\r\n\r\n", "!",
       "0\r\nx-t: a b\r\nX-T: 2\r\n\r\n"},
  };
  std::mt19937 random(7);
  for (const auto& c : cases) {
    std::vector<std::vector<std::size_t>> deliveries{{c.bytes.size()}, {1}, {2}, {3}};
    for (int d = 0; d < 10; ++d) {
      std::vector<std::size_t> sizes(5);
      for (auto& n : sizes) n = 1 + random() % 17;
      deliveries.push_back(sizes);
    }
    for (std::size_t buffer : {1, 3, 64, 4096}) {
      for (const auto& pieces : deliveries) {
        SCOPED_TRACE(c.bytes.substr(0, 12) + ", buffer " + std::to_string(buffer) +
                     ", first piece " + std::to_string(pieces[0]));
        const auto fed = test::feed_chunked(c.bytes, pieces, buffer);
        EXPECT_EQ(fed.end, test::Fed::End::kDone) << fed.ec.message();
        EXPECT_TRUE(fed.body == c.body);
        EXPECT_EQ(fed.ending, c.ending);
        EXPECT_EQ(test::reparsed_ending(fed.ending), c.ending);
      }
    }
  }
  // Framing fields among the trailers break the body (Beast's check), so none is passed on.
  const std::array<std::size_t, 1> whole{64};
  for (const char* framing : {"Content-Length: 3", "Transfer-Encoding: chunked"}) {
    const auto fed = test::feed_chunked(std::string("0\r\n") + framing + "\r\n\r\n", whole, 16);
    EXPECT_EQ(fed.end, test::Fed::End::kError) << framing;
  }
}

// A chunk-size line or trailer ended by a bare LF is a bad chunk as soon as it is buffered,
// in whatever pieces it comes; Beast alone would wait for a CRLF that may never come. A CR or
// LF inside a quoted extension value, which Beast takes, is refused as well, so a whole line
// fares as one in pieces (the chunked_body fuzzer found the difference).
TEST(BodyRelay, ABareLfOrAControlInAChunkLineIsRefusedAtOnce) {
  for (std::string_view bytes :
       {"5\nhel", "5;x=1\nhello\r\n", "5\r\nhello\r\n0\nX", "5\r\nhello\r\n0\r\nX-T: 1\n",
        "5\r\nhello\r\n0\r\nX-T: 1\r\n\n", "5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n",
        "5;a=\"x\ry\"\r\nhello\r\n0\r\n\r\n"}) {
    for (std::size_t piece : {std::size_t{1}, std::size_t{2}, bytes.size()}) {
      const std::size_t pieces[] = {piece};
      const auto fed = test::feed_chunked(bytes, pieces, 64);
      EXPECT_EQ(fed.end, test::Fed::End::kError) << bytes << " in pieces of " << piece;
    }
  }
}

}  // namespace
}  // namespace wharf::dataplane::proxy
