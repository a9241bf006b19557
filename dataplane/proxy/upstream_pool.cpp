#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/io/stream.hpp"

#include <sys/socket.h>

#include <string_view>

#include "dataplane/io/coarse_clock.hpp"

namespace wharf::dataplane::proxy {
namespace {

bool still_open(tcp::socket& s) {
  char byte;
  ssize_t n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // EOF (0) means the server closed; data means it sent something unasked (not reusable).
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::size_t UpstreamPool::KeyHash::operator()(const Key& k) const {
  const auto& ep = k.endpoint;
  return std::hash<std::string_view>{}(
             {reinterpret_cast<const char*>(ep.data()), static_cast<std::size_t>(ep.size())}) ^
         k.tls_id;
}

std::unique_ptr<Stream> UpstreamPool::take(const Key& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  auto now = CoarseClock::now();
  while (!list.empty()) {
    // Most recently used first: it is the least likely to have been closed by the server.
    Idle idle = std::move(list.back());
    list.pop_back();
    counted(-1);
    auto age = now - idle.since;
    if (age >= kMaxIdle) continue;
    // A connection back from its last exchange within the last second is not worth a peek
    // syscall: servers close idle keep-alives after seconds, and if one raced us anyway the
    // exchange retries a body-less request on a fresh connection.
    if (age < kTrustedAge || still_open(idle.stream->socket())) return std::move(idle.stream);
  }
  return nullptr;
}

void UpstreamPool::give(const Key& key, std::unique_ptr<Stream> stream) {
  if (closed_) return;  // The stream closes as it goes out of scope.
  auto& list = idle_[key];
  if (list.size() >= kMaxIdlePerServer) return;
  stream->expires_never();
  list.push_back({std::move(stream), CoarseClock::now()});
  counted(1);
}

void UpstreamPool::sweep() {
  auto cutoff = CoarseClock::now() - kMaxIdle;
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    counted(-static_cast<std::int64_t>(
        std::erase_if(list, [&](const Idle& i) { return i.since < cutoff; })));
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
}

void UpstreamPool::close() {
  closed_ = true;
  for (const auto& [key, list] : idle_) counted(-static_cast<std::int64_t>(list.size()));
  idle_.clear();
}

}  // namespace wharf::dataplane::proxy
