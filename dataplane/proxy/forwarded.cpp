#include "dataplane/proxy/forwarded.hpp"

#include <boost/beast/core/string.hpp>
#include <string>

namespace wharf::dataplane::proxy {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f on each comma-separated element of every instance of header `name`.
template <typename F>
void for_each_token(const http::fields& fields, std::string_view name, F&& f) {
  auto [lo, hi] = fields.equal_range(name);
  for (auto it = lo; it != hi; ++it) {
    std::string_view v = it->value();
    while (!v.empty()) {
      auto comma = v.find(',');
      auto token = trim(v.substr(0, comma));
      if (!token.empty()) f(token);
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
}

}  // namespace

ClientInfo compute_client(const model::IpAddress& peer, const std::vector<model::Cidr>& trusted,
                          const http::fields& headers) {
  ClientInfo info{peer, model::any_contains(trusted, peer), peer};
  if (!info.peer_trusted) return info;
  std::vector<std::string_view> hops;
  for_each_token(headers, "X-Forwarded-For", [&](std::string_view t) { hops.push_back(t); });
  // Walk from the nearest hop outwards; the first address we do not trust is the client.
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto ip = model::IpAddress::parse(*it);
    if (!ip) break;  // Garbage from a hop: stop at the last address we could verify.
    info.client = *ip;
    if (!model::any_contains(trusted, *ip)) break;
  }
  if (hops.empty()) {
    if (auto real = headers.find("X-Real-IP"); real != headers.end()) {
      if (auto ip = model::IpAddress::parse(trim(real->value()))) info.client = *ip;
    }
  }
  return info;
}

bool wants_upgrade(const http::fields& headers) {
  if (headers.find(http::field::upgrade) == headers.end()) return false;
  bool upgrade = false;
  for_each_token(headers, "Connection",
                 [&](std::string_view t) { upgrade = upgrade || beast::iequals(t, "upgrade"); });
  return upgrade;
}

void strip_hop_by_hop(http::fields& fields) {
  std::vector<std::string> named;
  for_each_token(fields, "Connection", [&](std::string_view t) { named.emplace_back(t); });
  for (const auto& n : named) fields.erase(n);
  for (auto f : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                 http::field::te, http::field::trailer, http::field::transfer_encoding,
                 http::field::upgrade}) {
    fields.erase(f);
  }
}

void set_forwarded_headers(http::fields& upstream, const http::fields& original,
                           const ClientInfo& client, std::string_view scheme) {
  std::string peer = client.peer.to_string();
  auto original_value = [&](std::string_view name) -> std::string_view {
    auto it = original.find(name);
    return it == original.end() ? std::string_view{} : std::string_view(it->value());
  };
  std::string xff;
  if (client.peer_trusted) {
    for_each_token(original, "X-Forwarded-For", [&](std::string_view t) {
      if (!xff.empty()) xff += ", ";
      xff += t;
    });
  }
  if (!xff.empty()) xff += ", ";
  xff += peer;
  upstream.set("X-Forwarded-For", xff);

  auto keep_or = [&](std::string_view name, std::string_view fallback) {
    auto v = client.peer_trusted ? original_value(name) : std::string_view{};
    upstream.set(name, v.empty() ? fallback : v);
  };
  std::string_view host = original_value("Host");
  keep_or("X-Forwarded-Proto", scheme);
  keep_or("X-Forwarded-Host", host);
  std::string port = scheme == "https" ? "443" : "80";
  if (auto colon = host.rfind(':');
      colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
    port = std::string(host.substr(colon + 1));
  }
  keep_or("X-Forwarded-Port", port);
  upstream.set("X-Real-IP", client.client.to_string());
}

}  // namespace wharf::dataplane::proxy
