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
  if (fields.find(http::field::connection) != fields.end()) {
    for_each_token(fields, "Connection", [&](std::string_view t) { named.emplace_back(t); });
  }
  // One pass comparing the parsed field enum: cheaper than a lookup per hop-by-hop name.
  for (auto it = fields.begin(); it != fields.end();) {
    switch (it->name()) {
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::te:
      case http::field::trailer:
      case http::field::transfer_encoding:
      case http::field::upgrade:
        it = fields.erase(it);
        break;
      default:
        ++it;
    }
  }
  for (const auto& n : named) fields.erase(n);
}

std::string forwarded_headers(http::fields& fields, const ClientInfo& client,
                              std::string_view scheme) {
  // Incoming values are read (from trusted peers) and then removed; ours are returned as
  // header lines for the head writer, which avoids Beast's costly field replacement.
  auto take = [&](std::string_view name) {
    std::string value;
    auto it = fields.find(name);
    if (it == fields.end()) return value;
    if (client.peer_trusted) value = std::string(it->value());
    fields.erase(name);
    return value;
  };
  std::string xff;
  if (client.peer_trusted) {
    for_each_token(fields, "X-Forwarded-For", [&](std::string_view t) {
      if (!xff.empty()) xff += ", ";
      xff += t;
    });
  }
  fields.erase("X-Forwarded-For");
  std::string peer = client.peer.to_string();
  if (!xff.empty()) xff += ", ";
  xff += peer;
  std::string_view host = fields[http::field::host];
  std::string proto = take("X-Forwarded-Proto");
  std::string fwd_host = take("X-Forwarded-Host");
  std::string port = take("X-Forwarded-Port");
  take("X-Real-IP");
  if (port.empty()) {
    port = scheme == "https" ? "443" : "80";
    auto colon = host.rfind(':');
    if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
      port = std::string(host.substr(colon + 1));
    }
  }
  std::string out;
  out.reserve(160 + xff.size() + host.size());
  out += "X-Forwarded-For: ";
  out += xff;
  out += "\r\nX-Forwarded-Proto: ";
  out += proto.empty() ? scheme : std::string_view(proto);
  out += "\r\nX-Forwarded-Host: ";
  out += fwd_host.empty() ? host : std::string_view(fwd_host);
  out += "\r\nX-Forwarded-Port: ";
  out += port;
  out += "\r\nX-Real-IP: ";
  out += client.client == client.peer ? peer : client.client.to_string();
  out += "\r\n";
  return out;
}

}  // namespace wharf::dataplane::proxy
