#pragma once

#include <chrono>
#include <memory>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "dataplane/app/options.hpp"
#include "dataplane/io/net.hpp"

namespace wharf::dataplane::server {

class Worker;
using udp = asio::ip::udp;

// One UDP entry point on one worker (SO_REUSEPORT: the kernel keeps each client address on
// one worker's socket). Datagrams from a client address form a session: the first one picks
// the entry point's UDP router and the next server of its service in weighted turn, and opens
// a socket connected to it; the client's datagrams go out on it and the server's come back
// from the entry point's address. A session ends after the entry point's `udp.timeout` without
// a datagram either way; new tables route new sessions, never the open ones. Bounded: at most
// kMaxSessions per worker and entry point (beyond them, new clients' datagrams are dropped and
// counted), one 64 KiB buffer per direction shared by the listener, nothing queued (a
// datagram the kernel cannot take now is dropped, as UDP allows). On drain, new clients are
// dropped and the socket closes once the last session has ended.
class UdpListener {
 public:
  static constexpr std::size_t kMaxSessions = 10'000;

  UdpListener(Worker& worker, const EntryPointAddress& address);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // `port` 0 is replaced by the port bound, for the next workers to share.
  model::Status bind(std::uint16_t& port);
  void start();
  void begin_drain();
  std::size_t sessions() const { return sessions_.size(); }

 private:
  struct Session;
  awaitable<void> receive_loop();
  awaitable<void> serve(std::shared_ptr<Session> s);
  awaitable<void> from_server(Session& s);
  awaitable<void> idle_watch(Session& s);
  std::shared_ptr<Session> open_session(const udp::endpoint& client);
  void end(Session& s);

  Worker& worker_;
  const EntryPointAddress& address_;
  udp::socket socket_;
  std::vector<char> buffer_;
  std::unordered_map<udp::endpoint, std::shared_ptr<Session>> sessions_;
  bool draining_ = false;
};

}  // namespace wharf::dataplane::server
