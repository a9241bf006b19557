#include "dataplane/routing/compiled_service.hpp"

#include <netdb.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "dataplane/io/coarse_clock.hpp"
#include "model/ip.hpp"

namespace wharf::dataplane::routing {
namespace {

namespace ip = boost::asio::ip;

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string hex(std::uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf + 16 - digits);
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = header.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

// A cheap per-thread generator: p2c needs spread, not quality.
std::uint64_t random_next() {
  thread_local std::uint64_t x = 0x9e3779b97f4a7c15ull ^ reinterpret_cast<std::uintptr_t>(&x);
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

bool excluded(const CompiledServer* s, const std::vector<const CompiledServer*>& exclude) {
  return std::find(exclude.begin(), exclude.end(), s) != exclude.end();
}

}  // namespace

// Resolving here, on the control thread, keeps DNS off the request path. Providers give
// addresses in practice (containers, endpoints); names are for hand-written files.
model::Result<ip::tcp::endpoint> resolve_endpoint(const std::string& host, std::uint16_t port) {
  if (auto lit = model::IpAddress::parse(host)) {
    boost::system::error_code ec;
    return ip::tcp::endpoint{ip::make_address(lit->to_string(), ec), port};
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) return model::Error{"cannot resolve '" + host + "': " + gai_strerror(rc)};
  ip::tcp::endpoint ep;
  ep.resize(res->ai_addrlen);
  std::memcpy(ep.data(), res->ai_addr, res->ai_addrlen);
  ep.port(port);
  freeaddrinfo(res);
  return ep;
}

CompiledServer compile_server(const model::Server& s, std::shared_ptr<const tls::UpstreamTls> tls) {
  if (s.unresolved) {
    CompiledServer out;
    out.weight = s.weight;
    out.unresolved = true;
    out.state = server_state("unresolved:");
    out.resolve_error = "an unresolved backend";
    return out;
  }
  CompiledServer out{.url = s.url,
                     .authority = {},
                     .host = {},
                     .endpoint = {},
                     .tls = nullptr,
                     .h2c = false,
                     .resolve_error = {},
                     .weight = s.weight,
                     .state = server_state(s.url),
                     .sticky_value = sticky_value(s.url)};
  auto addr = model::parse_server_url(s.url);
  bool v6 = addr->host.find(':') != std::string::npos;
  out.authority = (v6 ? "[" + addr->host + "]" : addr->host) + ":" + std::to_string(addr->port);
  out.host = addr->host;
  out.h2c = addr->h2c;
  if (addr->tls) out.tls = tls ? std::move(tls) : tls::default_upstream_tls();
  auto endpoint = resolve_endpoint(addr->host, addr->port);
  if (endpoint) {
    out.endpoint = *endpoint;
  } else {
    out.resolve_error = endpoint.error();
  }
  return out;
}

std::vector<std::uint32_t> build_schedule(const std::vector<model::Server>& servers) {
  std::vector<std::int64_t> weight;
  for (const auto& s : servers) weight.push_back(std::max<std::int64_t>(s.weight, 0));
  std::int64_t total = std::accumulate(weight.begin(), weight.end(), std::int64_t{0});
  if (total == 0) return {};
  constexpr std::int64_t kMaxSlots = 4096;
  if (total > kMaxSlots) {
    for (auto& w : weight) w = w == 0 ? 0 : std::max<std::int64_t>(1, w * kMaxSlots / total);
    total = std::accumulate(weight.begin(), weight.end(), std::int64_t{0});
  }
  std::vector<std::int64_t> current(weight.size(), 0);
  std::vector<std::uint32_t> out;
  for (std::int64_t slot = 0; slot < total; ++slot) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < weight.size(); ++i) {
      current[i] += weight[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    out.push_back(static_cast<std::uint32_t>(best));
  }
  return out;
}

std::string sticky_value(const std::string& url) {
  return hex(fnv1a(url), 16);
}

void set_sticky(CompiledService& service, const model::StickyCookie& c) {
  service.sticky_name = c.name.empty() ? "_" + hex(fnv1a(service.name), 6) : c.name;
  std::string a = "; Path=" + c.path;
  if (c.max_age > 0) a += "; Max-Age=" + std::to_string(c.max_age);
  if (c.secure) a += "; Secure";
  if (c.http_only) a += "; HttpOnly";
  if (c.same_site == "none") a += "; SameSite=None";
  if (c.same_site == "lax") a += "; SameSite=Lax";
  if (c.same_site == "strict") a += "; SameSite=Strict";
  service.sticky_attributes = std::move(a);
}

const CompiledServer* CompiledService::pick(
    std::string_view cookies, std::string* set_cookie,
    const std::vector<const CompiledServer*>& exclude) const {
  const auto now = CoarseClock::now();  // Against down-until times, seconds ahead.
  auto usable = [&](const CompiledServer* s) {
    return s->weight > 0 && s->state->available(now) && !excluded(s, exclude);
  };
  const CompiledServer* chosen = nullptr;
  if (!sticky_name.empty()) {
    auto wanted = cookie_value(cookies, sticky_name);
    for (const auto& s : servers) {
      if (!wanted.empty() && s.sticky_value == wanted && usable(&s)) return &s;
    }
  }
  if (schedule.empty()) return nullptr;
  if (p2c && servers.size() > 1) {
    const auto* a = &servers[schedule[random_next() % schedule.size()]];
    const auto* b = &servers[schedule[random_next() % schedule.size()]];
    if (!usable(a)) std::swap(a, b);
    if (usable(a)) chosen = usable(b) && b->state->in_flight() < a->state->in_flight() ? b : a;
  }
  // Round robin over the weighted schedule, skipping servers that are down or already failed
  // this request; at most one lap.
  for (std::size_t i = 0; !chosen && i < schedule.size(); ++i) {
    const auto* s =
        &servers[schedule[next.fetch_add(1, std::memory_order_relaxed) % schedule.size()]];
    if (usable(s)) chosen = s;
  }
  if (chosen && set_cookie && !sticky_name.empty()) {
    *set_cookie = sticky_name + "=" + chosen->sticky_value + sticky_attributes;
  }
  return chosen;
}

}  // namespace wharf::dataplane::routing
