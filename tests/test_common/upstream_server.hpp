#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace wharf::test {

// A real HTTP/1.1 server on 127.0.0.1 for tests, the benchmark and the demo. Its routes:
//   /bytes/N[?chunked=1]   N bytes of a known pattern (see pattern_byte), streamed
//   /upload                reads the whole body, streaming; answers "received N sum S"
//   /status/N              an empty response with status N
//   /slow/MS               answers after MS milliseconds
//   /close                 a close-delimited body (no Content-Length, no chunking)
//   /health                an empty response with the status set_health() gave (default 200)
//   /ws                    websocket echo
//   /auth...               a forward-auth server: `X-Token: good` → 200 with X-Auth-User and
//                          cookies, else 302 to a login page; X-Seen tells what it received
//   anything else          the request line and headers as text (what the proxy sent)
// Every response carries `X-Upstream: <name>` so tests can tell servers apart.
class UpstreamServer {
 public:
  explicit UpstreamServer(std::string name = "upstream", std::string address = "127.0.0.1",
                          std::uint16_t port = 0, unsigned threads = 1);
  ~UpstreamServer();
  UpstreamServer(const UpstreamServer&) = delete;
  UpstreamServer& operator=(const UpstreamServer&) = delete;

  std::uint16_t port() const;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::uint64_t connections_accepted() const;
  std::uint64_t requests_served() const;
  std::vector<std::string> targets() const;  // Request targets seen, in order.
  void set_health(unsigned status);
  void stop();
  // Like a process that died: the listener and every connection are closed at once (new
  // connections are refused, pooled ones reset). Counters keep their last values.
  void kill();

  // Blocks until stop() is called from elsewhere (used by the demo binary).
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t accepted_at_kill_ = 0, served_at_kill_ = 0;
};

inline unsigned char pattern_byte(std::uint64_t offset) {
  return static_cast<unsigned char>('a' + offset % 26);
}

}  // namespace wharf::test
