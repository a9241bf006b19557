#include "controller/acme/dns/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <charconv>

namespace wharf::controller::acme::dns {
namespace {

using model::Error;
using model::Result;
using namespace boost::asio::experimental::awaitable_operators;

// Runs `op` against a timer: whichever ends first wins; a timeout closes the socket.
template <typename Socket, typename Op>
awaitable<Result<std::string>> bounded(Socket& socket, std::chrono::milliseconds timeout, Op op) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto result = co_await (op() || timer.async_wait(kNoThrow));
  if (result.index() == 1) {
    error_code ignored;
    socket.close(ignored);
    co_return Error{"no answer within " + std::to_string(timeout.count()) + " ms"};
  }
  co_return std::get<0>(std::move(result));
}

}  // namespace

Result<Server> parse_server(const std::string& text) {
  Server s;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos) return Error{"'" + text + "': expected [ADDRESS]:PORT"};
    s.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return Error{"'" + text + "': expected [ADDRESS]:PORT"};
      port = std::string_view(text).substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
    s.host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
  } else {
    s.host = text;  // A host name, an IPv4 address or a bare IPv6 address.
  }
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535) {
      return Error{"'" + text + "': the port is not a number from 1 to 65535"};
    }
    s.port = static_cast<std::uint16_t>(p);
  }
  if (s.host.empty()) return Error{"'" + text + "': no host"};
  return s;
}

awaitable<Result<std::string>> exchange(Server server, std::string wire, bool tcp,
                                        std::chrono::milliseconds timeout) {
  auto ex = co_await asio::this_coro::executor;
  if (!tcp) {
    asio::ip::udp::resolver resolver(ex);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(server.host, std::to_string(server.port), kNoThrow);
    if (rec || endpoints.empty()) {
      co_return Error{"cannot resolve " + server.host + ": " + rec.message()};
    }
    // A named copy: clang cannot capture a structured binding in the lambdas below.
    const asio::ip::udp::endpoint target = endpoints.begin()->endpoint();
    asio::ip::udp::socket socket(ex);
    error_code ec;
    socket.open(target.protocol(), ec);
    if (ec) co_return Error{"UDP socket: " + ec.message()};
    // UDP loses datagrams: the query goes again every second until the timeout.
    auto answer = co_await bounded(socket, timeout, [&]() -> awaitable<Result<std::string>> {
      std::string buf(65535, '\0');
      for (;;) {
        auto [sec, sent] = co_await socket.async_send_to(asio::buffer(wire), target, kNoThrow);
        if (sec) co_return Error{"send: " + sec.message()};
        asio::steady_timer again(co_await asio::this_coro::executor, std::chrono::seconds(1));
        // Named, so the closure outlives the awaiting (GCC 12 and temporaries in co_await).
        auto receive = [&]() -> awaitable<Result<std::string>> {
          for (;;) {
            asio::ip::udp::endpoint from;
            auto [rec2, n] = co_await socket.async_receive_from(asio::buffer(buf), from, kNoThrow);
            if (rec2) co_return Error{"receive: " + rec2.message()};
            // Only the server's answer to this id counts (a stray datagram is ignored).
            if (from != target || n < 12 || buf[0] != wire[0] || buf[1] != wire[1]) {
              continue;
            }
            co_return buf.substr(0, n);
          }
        };
        auto got = co_await (receive() || again.async_wait(kNoThrow));
        if (got.index() == 0) co_return std::get<0>(std::move(got));
      }
    });
    if (!answer) co_return answer;
    // TC: the answer did not fit; ask again over TCP.
    if (!(static_cast<std::uint8_t>((*answer)[2]) & 0x02)) co_return answer;
  }
  asio::ip::tcp::resolver resolver(ex);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(server.host, std::to_string(server.port), kNoThrow);
  if (rec || endpoints.empty()) {
    co_return Error{"cannot resolve " + server.host + ": " + rec.message()};
  }
  const auto targets = endpoints;  // Named: see above.
  asio::ip::tcp::socket socket(ex);
  co_return co_await bounded(socket, timeout, [&]() -> awaitable<Result<std::string>> {
    auto [cec, connected] = co_await asio::async_connect(socket, targets, kNoThrow);
    if (cec) co_return Error{"connect to " + server.host + ": " + cec.message()};
    std::string framed;
    framed.push_back(static_cast<char>(wire.size() >> 8));
    framed.push_back(static_cast<char>(wire.size() & 0xff));
    framed += wire;
    auto [wec, w] = co_await asio::async_write(socket, asio::buffer(framed), kNoThrow);
    if (wec) co_return Error{"send: " + wec.message()};
    unsigned char len[2];
    auto [lec, l] = co_await asio::async_read(socket, asio::buffer(len), kNoThrow);
    if (lec) co_return Error{"receive: " + lec.message()};
    std::string buf(static_cast<std::size_t>(len[0] << 8 | len[1]), '\0');
    auto [bec, b] = co_await asio::async_read(socket, asio::buffer(buf), kNoThrow);
    if (bec) co_return Error{"receive: " + bec.message()};
    co_return buf;
  });
}

}  // namespace wharf::controller::acme::dns
