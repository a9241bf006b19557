#include "controller/publisher/publisher.hpp"

#include <chrono>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "ipc/frame.hpp"
#include "ipc/messages.hpp"
#include "log/log.hpp"

namespace wharf::controller {

using stream_protocol = asio::local::stream_protocol;

Publisher::Publisher(asio::any_io_executor ex, std::string socket_path, Stats& stats)
    : path_(std::move(socket_path)),
      stats_(stats),
      wake_(ex, std::chrono::steady_clock::time_point::max()) {}

void Publisher::publish(model::RoutingTable table) {
  auto now_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  last_version_ = std::max(last_version_ + 1, now_ms);
  table.version = last_version_;
  latest_ = std::move(table);
  wake_.cancel();
}

void Publisher::stop() {
  stopping_ = true;
  wake_.cancel();
}

awaitable<void> Publisher::run() {
  Backoff backoff;
  std::string last_error;
  while (!stopping_) {
    stream_protocol::socket sock(co_await asio::this_coro::executor);
    auto [ec] = co_await sock.async_connect(stream_protocol::endpoint(path_), kNoThrow);
    if (ec) {
      // Logged once per distinct failure: a data plane that is down for an hour must not
      // write 36,000 identical lines.
      if (ec.message() != last_error) {
        log::warn("publisher: cannot connect to " + path_ + ": " + ec.message() + "; retrying");
        last_error = ec.message();
      }
      if (!co_await sleep_for(backoff.next())) co_return;
      continue;
    }
    log::info("publisher: connected to the data plane at " + path_);
    last_error.clear();
    backoff.reset();
    bool keep_going = co_await serve_connection(sock);
    if (!keep_going) co_return;
    log::warn("publisher: connection to the data plane lost; reconnecting");
    if (!co_await sleep_for(backoff.next())) co_return;
  }
}

// Sends the latest table whenever it is newer than what this connection delivered. Returns
// false when stopping, true when the connection broke and should be retried.
awaitable<bool> Publisher::serve_connection(stream_protocol::socket& sock) {
  std::uint64_t delivered = 0;  // A new connection always gets the latest table.
  ipc::FrameDecoder decoder;
  std::string buf(64 * 1024, '\0');
  while (!stopping_) {
    if (!latest_ || latest_->version == delivered) {
      // Wait for a newer table (publish() and stop() cancel the timer) while watching the
      // connection: a data plane that restarted, perhaps with an empty state directory, must
      // get the latest table again even when nothing changes. The data plane never speaks
      // unasked, so the socket turning readable while idle means it closed.
      using namespace asio::experimental::awaitable_operators;
      wake_.expires_at(std::chrono::steady_clock::time_point::max());
      auto woke = co_await (wake_.async_wait(kNoThrow) ||
                            sock.async_wait(stream_protocol::socket::wait_read, kNoThrow));
      if (woke.index() == 1) co_return true;
      continue;
    }
    const model::RoutingTable table = *latest_;
    auto sent_at = std::chrono::steady_clock::now();
    std::string frame = ipc::encode_frame(ipc::encode(ipc::Apply{table.version, table}));
    auto [wec, unused] = co_await asio::async_write(sock, asio::buffer(frame), kNoThrow);
    if (wec) co_return true;
    // Wait for this version's reply; the data plane answers in order.
    std::optional<ipc::Message> reply;
    while (!reply) {
      auto next = decoder.next();
      if (!next) {
        log::error("publisher: " + next.error());
        co_return true;
      }
      if (*next) {
        auto msg = ipc::decode(**next);
        if (!msg) {
          log::error("publisher: unreadable reply from the data plane: " + msg.error());
          co_return true;
        }
        reply = std::move(*msg);
        break;
      }
      auto [rec, n] = co_await sock.async_read_some(asio::buffer(buf), kNoThrow);
      if (rec) co_return true;
      decoder.feed(std::string_view(buf.data(), n));
    }
    delivered = table.version;
    auto round_trip = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - sent_at);
    if (auto* ack = std::get_if<ipc::Ack>(&*reply)) {
      stats_.add("pushes_total", "ack");
      log::info("publisher: data plane applied version " + std::to_string(ack->version) + " (" +
                std::to_string(table.routers.size()) + " routers, " +
                std::to_string(table.services.size()) + " services, " +
                std::to_string(table.diagnostics.size()) + " rejected) in " +
                std::to_string(round_trip.count()) + " ms");
      if (on_applied_) on_applied_(table);
    } else if (auto* nack = std::get_if<ipc::Nack>(&*reply)) {
      // The data plane keeps serving its previous table; the next change is sent as usual.
      stats_.add("pushes_total", "nack");
      log::error("publisher: data plane refused version " + std::to_string(nack->version) + ": " +
                 nack->reason);
    }
  }
  co_return false;
}

}  // namespace wharf::controller
