#pragma once

#include "dataplane/io/net.hpp"

namespace wharf::dataplane::server {

// Takes one connection waiting on `acceptor` (set non-blocking), or fails with would_block when
// none is. The connection comes non-blocking and close-on-exec from accept4, and its socket
// knows it. Asio's own accept returns a blocking descriptor that it switches with an ioctl at
// the first operation, and treats as a possible duplicate that must leave epoll explicitly
// before it is closed; for a descriptor accept4 just made, both calls are redundant (closing
// it removes it from epoll). On bench/'s close row that was two of ten system calls a
// connection (nginx makes twelve): docs/performance.md, "A connection per request".
tcp::socket accept_ready(tcp::acceptor& acceptor, tcp::endpoint& peer, error_code& ec);

}  // namespace wharf::dataplane::server
