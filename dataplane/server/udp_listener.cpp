#include "dataplane/server/udp_listener.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "dataplane/server/listen_socket.hpp"
#include "dataplane/server/worker.hpp"
#include "log/log.hpp"

namespace wharf::dataplane::server {

using Clock = std::chrono::steady_clock;

struct UdpListener::Session {
  Session(asio::any_io_executor ex, std::shared_ptr<const routing::CompiledTable> t)
      : upstream(ex), timer(ex), table(std::move(t)) {}
  udp::endpoint client;
  udp::socket upstream;
  asio::steady_timer timer;
  Clock::time_point last = Clock::now();
  std::shared_ptr<const routing::CompiledTable> table;  // Keeps router and service alive.
  const routing::CompiledUdpRouter* router = nullptr;
  const routing::CompiledStreamServer* server = nullptr;
  metrics::Metrics::StreamRoute counters{};
  std::chrono::system_clock::time_point opened = std::chrono::system_clock::now();
  std::uint64_t bytes_in = 0, bytes_out = 0;
  bool ended = false;
};

UdpListener::UdpListener(Worker& worker, const EntryPointAddress& address)
    : worker_(worker), address_(address), socket_(worker.io()), buffer_(64 * 1024) {}

UdpListener::~UdpListener() = default;

model::Status UdpListener::bind(std::uint16_t& port) {
  udp::endpoint ep;
  if (auto ok = open_listening(socket_, address_, port, ep, "/udp"); !ok) return ok;
  error_code ec;
  socket_.bind(ep, ec);
  if (ec) return listen_error(address_, "cannot bind", ep.address(), port, "/udp", ec);
  socket_.non_blocking(true, ec);
  port = socket_.local_endpoint().port();
  return model::kOk;
}

void UdpListener::start() {
  asio::co_spawn(worker_.io(), receive_loop(), asio::detached);
}

void UdpListener::begin_drain() {
  draining_ = true;
  if (sessions_.empty()) {
    error_code ignored;
    socket_.close(ignored);
  }
}

std::shared_ptr<UdpListener::Session> UdpListener::open_session(const udp::endpoint& client) {
  const char* dropped = nullptr;
  auto table = worker_.table();
  const auto* router = table ? table->streams().udp_route(address_.name) : nullptr;
  const routing::CompiledStreamServer* server = router ? router->service->pick({}) : nullptr;
  if (draining_) {
    dropped = "draining";
  } else if (sessions_.size() >= kMaxSessions) {
    dropped = "sessions_full";
  } else if (!router) {
    dropped = "no_route";
  } else if (!server) {
    dropped = "no_server";
  }
  auto s = dropped ? nullptr : std::make_shared<Session>(worker_.io().get_executor(), table);
  error_code ec;
  if (s) {
    const udp::endpoint to(server->endpoint.address(), server->endpoint.port());
    s->upstream.open(to.protocol(), ec);
    if (!ec) s->upstream.connect(to, ec);  // No packet: it fixes the peer and the local port.
    if (!ec) s->upstream.non_blocking(true, ec);
    if (ec) {
      log::debug("udp service " + router->service->name + ": " + server->address + ": " +
                 ec.message());
      dropped = "no_server";
      s.reset();
    }
  }
  if (!s) {
    worker_.metrics().udp_dropped(address_.name, dropped);
    return nullptr;
  }
  s->client = client;
  s->router = router;
  s->server = server;
  s->counters = worker_.metrics().udp_route(router->name, router->service->name);
  s->counters.connections->Increment();
  s->counters.open->Increment();
  sessions_.emplace(client, s);
  worker_.add_stream();
  asio::co_spawn(worker_.io(), serve(s), asio::detached);
  return s;
}

awaitable<void> UdpListener::receive_loop() {
  for (;;) {
    udp::endpoint from;
    auto [ec, n] = co_await socket_.async_receive_from(asio::buffer(buffer_), from, kNoThrow);
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor ||
        !socket_.is_open()) {
      co_return;
    }
    if (ec) continue;  // ICMP errors from earlier sends surface here: not this datagram's.
    auto it = sessions_.find(from);
    std::shared_ptr<Session> s = it != sessions_.end() ? it->second : open_session(from);
    if (!s) continue;
    s->last = Clock::now();
    error_code sec;
    s->upstream.send(asio::buffer(buffer_.data(), n), 0, sec);
    if (sec) {
      worker_.metrics().udp_dropped(address_.name, "send");
      continue;
    }
    s->bytes_in += n;
  }
}

awaitable<void> UdpListener::from_server(Session& s) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto [ec, n] = co_await s.upstream.async_receive(asio::buffer(buf), kNoThrow);
    if (ec == asio::error::operation_aborted || !s.upstream.is_open()) co_return;
    // A refused port (ICMP) says nothing about the next datagram: keep the session.
    if (ec) continue;
    s.last = Clock::now();
    error_code sec;
    socket_.send_to(asio::buffer(buf.data(), n), s.client, 0, sec);
    if (!sec) s.bytes_out += n;
  }
}

awaitable<void> UdpListener::idle_watch(Session& s) {
  const auto timeout = std::chrono::milliseconds(address_.udp_timeout_ms);
  for (;;) {
    s.timer.expires_at(s.last + timeout);
    auto [ec] = co_await s.timer.async_wait(kNoThrow);
    if (ec) co_return;
    if (Clock::now() - s.last >= timeout) co_return;
  }
}

awaitable<void> UdpListener::serve(std::shared_ptr<Session> s) {
  using namespace asio::experimental::awaitable_operators;
  co_await (from_server(*s) || idle_watch(*s));
  end(*s);
}

void UdpListener::end(Session& s) {
  if (s.ended) return;
  s.ended = true;
  error_code ignored;
  s.upstream.close(ignored);
  s.counters.bytes_in->Increment(static_cast<double>(s.bytes_in));
  s.counters.bytes_out->Increment(static_cast<double>(s.bytes_out));
  s.counters.open->Decrement();
  worker_.remove_stream();
  if (auto* log = worker_.access_log()) {
    metrics::AccessEntry e;
    e.time = s.opened;
    e.entrypoint = address_.name;
    const std::string client = s.client.address().to_string();
    e.client = client;
    e.method = "UDP";
    e.host = "-";
    e.target = "-";
    e.protocol = "UDP";
    e.bytes_in = s.bytes_in;
    e.bytes_out = s.bytes_out;
    e.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::system_clock::now() - s.opened)
            .count();
    e.router = s.router->name;
    e.service = s.router->service->name;
    e.upstream = s.server->address;
    log->write(e);
  }
  auto it = sessions_.find(s.client);
  if (it != sessions_.end() && it->second.get() == &s) sessions_.erase(it);
  if (draining_ && sessions_.empty()) socket_.close(ignored);
}

}  // namespace wharf::dataplane::server
