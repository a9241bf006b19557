#pragma once

#include "dataplane/app/options.hpp"
#include "dataplane/io/net.hpp"

namespace wharf::dataplane::server {

class Worker;

// Entry point for a freshly accepted connection; `peer` as accept(2) gave it (asking the socket
// again would be one more system call per connection). On an entry point without TCP routers
// and without the PROXY protocol it is the HTTP session's at once. Otherwise, within the
// entry point's header timeout:
//  - a PROXY header is read from a peer in the entry point's proxyProtocol list (malformed:
//    closed); its source address is the client's from then on (ClientIP, logs, allow lists,
//    X-Forwarded-For). A peer not in the list that sends one is closed too;
//  - the TCP routers and HTTP routers of the entry point are chosen between as Traefik does
//    (tcp/decision.hpp), peeking at the ClientHello when the choice needs it;
//  - the HTTP session starts with the bytes read so far, or a TCP router relays them
//    (tcp_session.hpp).
awaitable<void> serve_connection(Worker& worker, tcp::socket socket, tcp::endpoint peer,
                                 const EntryPointAddress& entrypoint);

}  // namespace wharf::dataplane::server
