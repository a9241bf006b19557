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

void set_forwarded_headers(http::fields& fields, const ClientInfo& client,
                           std::string_view scheme) {
  // Values are copied out before anything is set: set() replaces the field a view points into.
  auto incoming = [&](std::string_view name) {
    auto it = client.peer_trusted ? fields.find(name) : fields.end();
    return it == fields.end() ? std::string() : std::string(it->value());
  };
  std::string xff;
  if (client.peer_trusted) {
    for_each_token(fields, "X-Forwarded-For", [&](std::string_view t) {
      if (!xff.empty()) xff += ", ";
      xff += t;
    });
  }
  if (!xff.empty()) xff += ", ";
  xff += client.peer.to_string();
  std::string host(fields[http::field::host]);
  std::string proto = incoming("X-Forwarded-Proto");
  std::string fwd_host = incoming("X-Forwarded-Host");
  std::string port = incoming("X-Forwarded-Port");
  if (port.empty()) {
    port = scheme == "https" ? "443" : "80";
    auto colon = host.rfind(':');
    if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
      port = host.substr(colon + 1);
    }
  }
  fields.set("X-Forwarded-For", xff);
  fields.set("X-Forwarded-Proto", proto.empty() ? std::string(scheme) : proto);
  fields.set("X-Forwarded-Host", fwd_host.empty() ? host : fwd_host);
  fields.set("X-Forwarded-Port", port);
  fields.set("X-Real-IP", client.client.to_string());
}

}  // namespace wharf::dataplane::proxy
