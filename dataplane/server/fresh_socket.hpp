#pragma once

#include "dataplane/io/net.hpp"
#include "dataplane/io/stream.hpp"

// Sockets made by the data plane's own system calls, non-blocking and close-on-exec from the
// start, with Asio told so: no redundant calls per connection.
namespace wharf::dataplane::server {

// Takes one connection waiting on `acceptor` (set non-blocking), or fails with would_block when
// none is. The connection comes non-blocking and close-on-exec from accept4, and its socket
// knows it. Asio's own accept returns a blocking descriptor that it switches with an ioctl at
// the first operation, and treats as a possible duplicate that must leave epoll explicitly
// before it is closed; for a descriptor accept4 just made, both calls are redundant (closing
// it removes it from epoll). On bench/'s close row that was two of ten system calls a
// connection (nginx makes twelve): docs/performance.md, "A connection per request".
tcp::socket accept_ready(tcp::acceptor& acceptor, tcp::endpoint& peer, error_code& ec);

// Connects `stream` (not TLS) to `to` on a new socket made the same way: Asio's own connect
// makes a blocking socket, switches it with an ioctl, and checks the outcome with a poll before
// getsockopt; here the connection costs socket, connect, the wait and getsockopt. The
// stream's deadline bounds the wait (a timed-out connect completes with an error).
awaitable<error_code> connect_ready(Stream& stream, const tcp::endpoint& to);

}  // namespace wharf::dataplane::server
