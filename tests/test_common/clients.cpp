#include "test_common/clients.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "ipc/frame.hpp"
#include "ipc/messages.hpp"
#include "test_common/upstream_server.hpp"

namespace wharf::test {
namespace {

void set_timeout(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send failed: " + std::string(std::strerror(errno)));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

HttpClient::HttpClient(std::uint16_t port, int timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    throw std::runtime_error("connect to port " + std::to_string(port) + " failed");
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_timeout(fd_, timeout_ms);
}

HttpClient::~HttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

void HttpClient::send_raw(std::string_view bytes) {
  write_all(fd_, bytes);
}

Response HttpClient::request(const std::string& method, const std::string& target,
                             const std::map<std::string, std::string>& headers,
                             const std::string& body) {
  std::string req = method + " " + target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    has_host = has_host || lower(k) == "host";
  }
  if (!has_host) req += "Host: test.local\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  send_raw(req);
  return read_response(method == "HEAD");
}

Response HttpClient::read_response(bool head) {
  auto fill = [&]() {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  Response r;
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      r.closed = true;
      return r;  // status 0: nothing (complete) arrived.
    }
  }
  std::string head_text = buffer_.substr(0, end + 2);
  buffer_.erase(0, end + 4);
  auto line_end = head_text.find("\r\n");
  std::string status_line = head_text.substr(0, line_end);
  r.status = static_cast<unsigned>(std::stoul(status_line.substr(9, 3)));
  for (std::size_t pos = line_end + 2; pos < head_text.size();) {
    auto eol = head_text.find("\r\n", pos);
    auto line = head_text.substr(pos, eol - pos);
    auto colon = line.find(':');
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[lower(line.substr(0, colon))] = value;
    pos = eol + 2;
  }
  if (r.status / 100 == 1) return r;
  bool no_body = head || r.status == 204 || r.status == 304;
  if (!no_body && r.headers.count("content-length")) {
    std::size_t n = std::stoull(r.headers["content-length"]);
    while (buffer_.size() < n && fill()) {
    }
    r.body = buffer_.substr(0, n);
    buffer_.erase(0, std::min(n, buffer_.size()));
  } else if (!no_body && lower(r.headers["transfer-encoding"]) == "chunked") {
    for (;;) {
      std::size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos && fill()) {
      }
      if (eol == std::string::npos) break;
      std::size_t size = std::stoull(buffer_.substr(0, eol), nullptr, 16);
      while (buffer_.size() < eol + 2 + size + 2 && fill()) {
      }
      r.body += buffer_.substr(eol + 2, size);
      buffer_.erase(0, eol + 2 + size + 2);
      if (size == 0) break;
    }
  } else if (!no_body) {
    while (fill()) {
    }
    r.body = buffer_;
    buffer_.clear();
    r.closed = true;
  }
  if (lower(r.headers["connection"]) == "close") r.closed = true;
  return r;
}

std::int64_t HttpClient::read_pattern_response(Response& head) {
  std::size_t end;
  char buf[65536];
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return -1;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
  std::string rest = buffer_.substr(end + 4);
  buffer_.resize(end + 4);
  head = read_response(/*head=*/true);
  std::uint64_t want = std::stoull(head.headers["content-length"]);
  std::uint64_t got = 0;
  auto check = [&](const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (static_cast<unsigned char>(p[i]) != pattern_byte(got + i)) return false;
    }
    got += n;
    return true;
  };
  if (!check(rest.data(), rest.size())) return -static_cast<std::int64_t>(got) - 1;
  while (got < want) {
    ssize_t n = ::recv(fd_, buf, std::min<std::uint64_t>(sizeof buf, want - got), 0);
    if (n <= 0) break;
    if (!check(buf, static_cast<std::size_t>(n))) return -static_cast<std::int64_t>(got) - 1;
  }
  return static_cast<std::int64_t>(got);
}

std::string HttpClient::read_until_close() {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

std::string apply_table(const std::string& socket_path, const model::RoutingTable& table) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, socket_path.c_str(), sizeof a.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "connect failed: " + std::string(std::strerror(errno));
  }
  set_timeout(fd, 10'000);
  write_all(fd, ipc::encode_frame(ipc::encode(ipc::Apply{table.version, table})));
  ipc::FrameDecoder d;
  std::string result = "no reply";
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    d.feed({buf, static_cast<std::size_t>(n)});
    auto f = d.next();
    if (!f.ok() || !*f) continue;
    auto m = ipc::decode(**f);
    if (!m) {
      result = "bad reply: " + m.error();
    } else if (std::holds_alternative<ipc::Ack>(*m)) {
      result = "ack";
    } else if (auto* nack = std::get_if<ipc::Nack>(&*m)) {
      result = "nack: " + nack->reason;
    }
    break;
  }
  ::close(fd);
  return result;
}

model::RoutingTable simple_table(std::uint64_t version, const std::string& upstream_url,
                                 const std::string& rule) {
  model::RoutingTable t;
  t.version = version;
  t.routers.push_back({"app@test", rule, 0, {}, "app@test", false, {}, {}});
  model::Service s;
  s.name = "app@test";
  s.servers.push_back({upstream_url, 1});
  t.services.push_back(s);
  return t;
}

std::uint64_t peak_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

unsigned host_status(std::uint16_t port, const std::string& host, int timeout_ms) {
  try {
    HttpClient c(port, timeout_ms);
    return c.request("GET", "/", {{"Host", host}}).status;
  } catch (const std::exception&) {
    return 0;
  }
}

unsigned wait_for_host_status(std::uint16_t port, const std::string& host, unsigned want,
                              int timeout_ms, int poll_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  unsigned got = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    got = host_status(port, host);
    if (got == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return got;
}

bool wait_until_listening(std::uint16_t port, int timeout_ms) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    ::close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

double metric_sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

std::string metrics_when(std::uint16_t admin, const std::string& series, double want) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = HttpClient(admin).request("GET", "/metrics").body;
    if (metric_sample(text, series) == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return text;
}

}  // namespace wharf::test
