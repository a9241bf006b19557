#pragma once

#include <string_view>
#include <vector>

#include "dataplane/io/net.hpp"
#include "model/ip.hpp"

namespace wharf::dataplane::proxy {

// What the proxy knows about who sent a request. Computed once per request and used by
// routing (ClientIP), the forwarded headers and, later, logs and allow lists.
struct ClientInfo {
  model::IpAddress peer;      // The TCP peer.
  bool peer_trusted = false;  // Peer is in --trusted-proxies: its X-Forwarded-* are believed.
  model::IpAddress client;    // The originating client as far as trusted hops tell.
  // `peer` as text, formatted once per connection by its owner, which outlives the request.
  std::string_view peer_text;
  // `client` as text.
  std::string client_text() const {
    return client == peer ? std::string(peer_text) : client.to_string();
  }
};

ClientInfo compute_client(const model::IpAddress& peer, std::string_view peer_text,
                          const std::vector<model::Cidr>& trusted, const http::fields& headers);

// True for a request asking to switch protocols (RFC 9110 section 7.8): an Upgrade header
// together with the "upgrade" connection option.
bool wants_upgrade(const http::fields& headers);

// Removes hop-by-hop headers (RFC 9110 section 7.6.1): the fixed list plus every header named
// in Connection. Transfer-Encoding goes too (each hop frames its own message); Content-Length
// stays, it describes the body on both sides. Trailer, which announces the trailer fields (RFC
// 9110 section 6.6.2), is not hop-by-hop, but it stays only when the message goes on with
// its trailers (`trailers_follow`); elsewhere it would announce fields that never come.
void strip_hop_by_hop(http::fields& fields, bool trailers_follow = false);

// The X-Forwarded-For/Proto/Host/Port and X-Real-IP lines for the upstream request, ending in
// CRLF; the incoming ones are removed from `fields`. From an untrusted peer incoming values are
// replaced, never appended to.
void forwarded_headers(http::fields& fields, const ClientInfo& client, std::string_view scheme,
                       std::string& out);

}  // namespace wharf::dataplane::proxy
