#pragma once

#include <chrono>
#include <string>

#include "controller/net.hpp"
#include "model/result.hpp"

// One DNS exchange with one server: the message over UDP, again over TCP when the answer comes
// back truncated (or `tcp` asks for it: updates). Returns the answer's wire form.
namespace wharf::controller::acme::dns {

// "host", "host:port", "[v6]:port" (53 by default) as lego and Traefik write resolvers.
struct Server {
  std::string host;
  std::uint16_t port = 53;
};
model::Result<Server> parse_server(const std::string& text);

awaitable<model::Result<std::string>> exchange(Server server, std::string wire, bool tcp,
                                               std::chrono::milliseconds timeout);

}  // namespace wharf::controller::acme::dns
