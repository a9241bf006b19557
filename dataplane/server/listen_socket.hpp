#pragma once

#include <sys/socket.h>

#include <string>

#include <boost/asio/ip/v6_only.hpp>

#include "dataplane/app/options.hpp"
#include "dataplane/io/net.hpp"

namespace wharf::dataplane::server {

// "entrypoint web: cannot bind 0.0.0.0:80: Address in use" (`protocol`: "" or "/udp").
inline model::Error listen_error(const EntryPointAddress& a, const char* what,
                                 const asio::ip::address& ip, std::uint16_t port,
                                 const char* protocol, const error_code& ec) {
  return model::Error{"entrypoint " + a.name + ": " + what + " " + ip.to_string() + ":" +
                      std::to_string(port) + protocol + ": " + ec.message()};
}

// Opens `socket` (a TCP acceptor or a UDP socket) for entry point `a` on `port`, not bound yet:
// no host means every address, IPv4 included; SO_REUSEPORT so every worker binds the same port
// and the kernel spreads connections (or, for UDP, client addresses) among them. `ep` receives
// the endpoint to bind.
template <typename Socket, typename Endpoint>
model::Status open_listening(Socket& socket, const EntryPointAddress& a, std::uint16_t port,
                             Endpoint& ep, const char* protocol) {
  error_code ec;
  auto ip = a.host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                           : asio::ip::make_address(a.host, ec);
  if (ec) return model::Error{"entrypoint " + a.name + ": bad address '" + a.host + "'"};
  ep = Endpoint(ip, port);
  socket.open(ep.protocol(), ec);
  if (ec) return listen_error(a, "cannot open", ip, port, protocol, ec);
  if (ip.is_v6()) socket.set_option(asio::ip::v6_only(false), ec);
  int one = 1;
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  return model::kOk;
}

}  // namespace wharf::dataplane::server
