#pragma once

// Who serves a connection on an entry point that has TCP routers: a TCP router (bytes relayed,
// TLS passed through or terminated) or the HTTP session. Traefik's order, so setups behave as
// they did there:
//  - before any byte, when the entry point has plain TCP routers and nothing that needs the
//    first bytes (no TLS TCP router, no HTTPS router), a matching plain router takes the
//    connection at once: SMTP, MySQL and other protocols whose server speaks first;
//  - a connection that does not open with a TLS handshake goes to the first plain TCP router
//    that matches (HostSNI(`*`), ClientIP), else to HTTP;
//  - a TLS connection goes to an HTTPS router naming its server name, else to a TLS TCP router
//    naming it (HostSNI, HostSNIRegexp), else to HTTPS routers without a host rule, else to a
//    TLS TCP router naming no server name, else to HTTP (which answers with the default
//    certificate and 404).
// Pure over the table and what the connection said, so tests walk every branch.

#include "dataplane/routing/compiled_table.hpp"
#include "dataplane/tcp/client_hello.hpp"
#include "model/ip.hpp"

namespace wharf::dataplane::l4 {

// Whether an entry point's connections need deciding at all (it has a TCP router).
bool has_tcp_routes(const routing::CompiledTable& table, std::string_view entrypoint);

// The plain router that takes a connection before it sends anything, or nullptr (read first).
const routing::CompiledTcpRouter* decide_before_reading(const routing::CompiledTable& table,
                                                        std::string_view entrypoint,
                                                        const model::IpAddress& client);

// With the first bytes read: `hello` is kNotTls or kOk (complete). nullptr: HTTP serves it.
const routing::CompiledTcpRouter* decide(const routing::CompiledTable& table,
                                         std::string_view entrypoint,
                                         const model::IpAddress& client, const ClientHello& hello);

}  // namespace wharf::dataplane::l4
