#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include "test_common/loopback_server.hpp"

namespace wharf::test {

// A TCP listener on 127.0.0.1 that answers every request head (requests without bodies) on
// every connection with the same bytes, as written: for response heads no real server library
// would produce. With `close_after`, it closes each connection after answering; with `piece`,
// it sends the answer in pieces of that many bytes, 2 ms apart; with `hold_at`, it sends that
// many bytes of the answer (in pieces, with `piece`) and the rest only once release() is
// called (a sender pausing midway). It counts the connections it accepted, so tests can tell
// whether the proxy reused one.
class CannedServer : public LoopbackServer {
 public:
  explicit CannedServer(std::string response, bool close_after = false, std::size_t piece = 0,
                        std::size_t hold_at = 0);
  ~CannedServer();
  void release() { released_ = true; }

 private:
  void run();
  void answer(int fd);

  std::string response_;
  bool close_after_;
  std::size_t piece_;
  std::size_t hold_at_;
  std::atomic<bool> released_{false};
};

}  // namespace wharf::test
