#pragma once

// The real gRPC server and client of the tests (Debian's python3-grpcio, tests/peers/
// grpc_peer.py): service wharf.Test with methods Unary, Abort, ServerStream, ClientStream and
// Bidi over raw bytes.

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_common/child_process.hpp"

namespace wharf::test {

inline const std::string& grpc_peer() {
  static const std::string path = std::string(WHARF_PEERS_DIR) + "/grpc_peer.py";
  return path;
}

// The gRPC server, on a port of its own choosing.
class GrpcServer {
 public:
  GrpcServer() : process_({"/usr/bin/python3", grpc_peer(), "serve"}) {
    const auto at = process_.wait_for_log("port ", std::chrono::seconds(20));
    EXPECT_NE(at, std::string::npos) << process_.log();
    if (at != std::string::npos) port_ = std::stoi(process_.log().substr(at));
  }
  int port() const { return port_; }
  std::string url() const { return "h2c://127.0.0.1:" + std::to_string(port_); }

 private:
  ChildProcess process_;
  int port_ = 0;
};

// One call through `target` (host:port): "ok <result>" or "error <CODE> <details>", as the
// client printed it. `kind`: unary, abort, server, client, bidi; `tls`: --tls CA NAME.
inline std::string grpc_call(const std::string& target, const std::string& kind,
                             const std::string& arg, const std::vector<std::string>& tls = {}) {
  std::vector<std::string> argv{"/usr/bin/python3", grpc_peer(), "call", target, kind, arg};
  argv.insert(argv.end(), tls.begin(), tls.end());
  auto r = run_command(argv);
  // The client's own log lines (gRPC core's) may follow on stderr; the answer is the first line.
  return r.out.substr(0, r.out.find('\n'));
}

}  // namespace wharf::test
