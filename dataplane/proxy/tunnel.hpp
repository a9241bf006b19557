#pragma once

#include <chrono>

#include "dataplane/io/stream.hpp"

namespace wharf::dataplane::proxy {

// Relays bytes both ways after a 101 Switching Protocols until both sides have closed.
// Bytes already read past the HTTP heads (`client_extra`, `upstream_extra`) go first. The
// connection is closed when no byte has moved in either direction for `idle`.
// The client side may be TLS (a websocket over HTTPS); a half-close is passed on as a TCP FIN.
awaitable<void> run_tunnel(Stream& client, beast::flat_buffer& client_extra, Stream& upstream,
                           beast::flat_buffer& upstream_extra, std::chrono::milliseconds idle);

}  // namespace wharf::dataplane::proxy
