#pragma once

#include "test_common/loopback_server.hpp"

namespace wharf::test {

// A TCP listener on 127.0.0.1 that fails the way real servers do, counting connections:
// kDrop reads the request head and closes without a byte of answer (a crashed worker);
// kSilent reads it and never answers (a hung one).
class MisbehavingServer : public LoopbackServer {
 public:
  enum class Mode { kDrop, kSilent };
  explicit MisbehavingServer(Mode mode);
  ~MisbehavingServer();

 private:
  void run();

  Mode mode_;
};

}  // namespace wharf::test
