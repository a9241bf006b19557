#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/routing_table.hpp"

namespace wharf::test {

struct Response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // Lowercase names; last value wins.
  std::string body;
  bool closed = false;  // The server closed the connection after this response.
};

// A blocking HTTP/1.1 client over one keep-alive connection, with a receive timeout so a
// misbehaving proxy fails the test instead of hanging it.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, int timeout_ms = 10'000);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Response request(const std::string& method, const std::string& target,
                   const std::map<std::string, std::string>& headers = {},
                   const std::string& body = {});
  // Sends raw bytes (for malformed requests and pipelining).
  void send_raw(std::string_view bytes);
  // Reads one response; for a HEAD request pass head=true (no body follows).
  Response read_response(bool head = false);
  // Reads a Content-Length response whose body is pattern_byte(0..n), counting and checking it
  // without keeping it: how the tests receive gigabytes. Returns the number of body bytes, or
  // the index of the first wrong byte negated minus one.
  std::int64_t read_pattern_response(Response& head);
  // Everything until the peer closes (or the timeout).
  std::string read_until_close();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string buffer_;
};

// Sends `table` as an apply frame on the control socket; returns "ack" or "nack: reason".
std::string apply_table(const std::string& socket_path, const model::RoutingTable& table);

// A table routing Host(host) (or everything when host is empty) to one upstream URL.
model::RoutingTable simple_table(std::uint64_t version, const std::string& upstream_url,
                                 const std::string& rule = "PathPrefix(`/`)");

std::uint64_t peak_rss_kib(int pid);  // VmHWM from /proc.

// Status of `GET /` with this Host header on a fresh connection; 0 when nothing answered.
unsigned host_status(std::uint16_t port, const std::string& host, int timeout_ms = 5'000);

// Polls (every `poll_ms`) until the host answers `want`, for changes that take effect
// asynchronously; returns the last status seen (== want on success).
unsigned wait_for_host_status(std::uint16_t port, const std::string& host, unsigned want,
                              int timeout_ms = 20'000, int poll_ms = 20);

// Whether something accepts TCP connections on 127.0.0.1:`port` within `timeout_ms` (a child
// server that is still starting).
bool wait_until_listening(std::uint16_t port, int timeout_ms = 10'000);

// The value of one sample line of the Prometheus text format, or -1 when it is absent.
double metric_sample(const std::string& text, const std::string& series);

// The admin port's metrics once `series` reads `want` (or the last scrape, after 2 s): a
// request is counted just after its response went out, so a scrape right after the response
// may still miss it.
std::string metrics_when(std::uint16_t admin, const std::string& series, double want);

}  // namespace wharf::test
