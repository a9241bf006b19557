#pragma once

#include <memory>
#include <string_view>

#include "dataplane/io/stream.hpp"
#include "dataplane/routing/compiled_table.hpp"

namespace wharf::dataplane::server {

class Worker;

// What a connection a TCP router took brings along: the table it was routed by (kept alive
// for as long as the connection lasts, so a new table never cuts it), the bytes already read
// (a ClientHello the router was chosen by), and the addresses a PROXY header to servers says.
struct TcpConnection {
  Stream& client;
  beast::flat_buffer& peeked;
  std::shared_ptr<const routing::CompiledTable> table;
  const routing::CompiledTcpRouter& router;
  tcp::endpoint client_address;  // From a trusted PROXY header, else the peer.
  tcp::endpoint local_address;   // Where the client connected.
  std::string_view entrypoint;
  std::uint8_t ep_index = 0;
  std::string_view server_name;  // The ClientHello's, for the access log.
};

// Relays the connection to one of the router's servers: TLS ended first when the router
// terminates it (the table's certificates, chosen by SNI); the next server in turn tried when
// one does not connect in time; a PROXY header first when the service asks; then bytes both
// ways through two 16 KiB buffers, each direction's end passed on as a half-close, until both
// are done or an hour passes without a byte either way. Counts the route's connections and
// bytes, and writes one access-log line.
awaitable<void> serve_tcp(Worker& worker, TcpConnection c);

}  // namespace wharf::dataplane::server
