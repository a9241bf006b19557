#include "dataplane/proxy/forwarded.hpp"

#include <string>

#include <boost/beast/core/string.hpp>
#include <boost/container/small_vector.hpp>

#include "dataplane/proxy/append.hpp"
#include "text/ows.hpp"

namespace wharf::dataplane::proxy {
namespace {

// Calls f on each comma-separated element of a header value.
template <typename F>
void for_each_token(std::string_view v, F&& f) {
  while (!v.empty()) {
    auto comma = v.find(',');
    auto token = text::trim_ows(v.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

// The same over every instance of header `name`.
template <typename F>
void for_each_token(const http::fields& fields, std::string_view name, F&& f) {
  auto [lo, hi] = fields.equal_range(name);
  for (auto it = lo; it != hi; ++it) for_each_token(it->value(), f);
}

}  // namespace

ClientInfo compute_client(const model::IpAddress& peer, std::string_view peer_text,
                          const std::vector<model::Cidr>& trusted, const http::fields& headers) {
  ClientInfo info{peer, model::any_contains(trusted, peer), peer, peer_text};
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
      if (auto ip = model::IpAddress::parse(text::trim_ows(real->value()))) info.client = *ip;
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

void strip_hop_by_hop(http::fields& fields, bool trailers_follow) {
  // Names the Connection header lists are hop-by-hop too (RFC 9110 section 7.6.1). They are
  // views into the Connection values, so those fields go last, after the others are compared.
  // One pass over the fields comparing the parsed enum: a lookup per name costs more.
  boost::container::small_vector<std::string_view, 4> named;
  boost::container::small_vector<http::fields::const_iterator, 2> connection;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it->name() != http::field::connection) continue;
    connection.push_back(it);
    for_each_token(it->value(), [&](std::string_view t) { named.push_back(t); });
  }
  for (auto it = fields.begin(); it != fields.end();) {
    bool drop = false;
    switch (it->name()) {
      case http::field::connection:
        break;
      case http::field::trailer:
        drop = !trailers_follow;
        break;
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::te:
      case http::field::transfer_encoding:
      case http::field::upgrade:
        drop = true;
        break;
      default:
        for (auto n : named) drop = drop || beast::iequals(it->name_string(), n);
    }
    it = drop ? fields.erase(it) : std::next(it);
  }
  for (auto it : connection) fields.erase(it);  // By position: no lookup by name.
}

void forwarded_headers(http::fields& fields, const ClientInfo& client, std::string_view scheme,
                       std::string& out) {
  // Incoming values are read (from trusted peers) as views into their fields, which are
  // removed once ours are written; ours become header lines for the head writer, which avoids
  // Beast's costly field replacement. Of repeated headers the first counts, X-Forwarded-For's
  // are joined.
  boost::container::small_vector<http::fields::const_iterator, 4> incoming;
  boost::container::small_vector<std::string_view, 2> xff;
  std::string_view host;  // The first Host line; empty without one (HTTP/1.0).
  std::string_view proto, fwd_host, port;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it->name() != http::field::unknown) {  // None of these is a name Beast knows.
      if (it->name() == http::field::host && host.empty()) host = it->value();
      continue;
    }
    const auto n = it->name_string();
    std::string_view* keep = nullptr;
    if (n.size() < 9 || (n[0] != 'X' && n[0] != 'x')) {
      continue;  // Shorter than X-Real-IP, or not an X- name: none of ours.
    } else if (beast::iequals(n, "X-Forwarded-For")) {
      xff.push_back(it->value());
    } else if (beast::iequals(n, "X-Forwarded-Proto")) {
      keep = &proto;
    } else if (beast::iequals(n, "X-Forwarded-Host")) {
      keep = &fwd_host;
    } else if (beast::iequals(n, "X-Forwarded-Port")) {
      keep = &port;
    } else if (!beast::iequals(n, "X-Real-IP")) {
      continue;
    }
    if (keep && keep->empty()) *keep = it->value();
    incoming.push_back(it);
  }
  if (!client.peer_trusted) {
    xff.clear();
    proto = fwd_host = port = {};
  }
  out.clear();
  out.reserve(200 + host.size());  // Room for these lines and an X-Request-Id line.
  out += "X-Forwarded-For: ";
  for (auto v : xff) for_each_token(v, [&](std::string_view t) { append(out, t, ", "); });
  if (port.empty()) {
    port = scheme == "https" ? "443" : "80";
    auto colon = host.rfind(':');
    if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
      port = host.substr(colon + 1);
    }
  }
  const std::string real_ip = client.client_text();
  append(out, client.peer_text, "\r\nX-Forwarded-Proto: ", proto.empty() ? scheme : proto,
         "\r\nX-Forwarded-Host: ", fwd_host.empty() ? host : fwd_host,
         "\r\nX-Forwarded-Port: ", port, "\r\nX-Real-IP: ", real_ip, "\r\n");
  // Last: the views above point into these fields.
  for (auto it : incoming) fields.erase(it);
}

}  // namespace wharf::dataplane::proxy
