#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/docker/labels.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::docker {

// One container's `tcp.*` and `udp.*` labels, read as Traefik's Docker provider reads them.
struct StreamLabels {
  std::map<std::string, model::ConfigRouter> tcp_routers;
  std::map<std::string, model::ConfigStreamService> tcp_services;
  std::map<std::string, model::ConfigUdpRouter> udp_routers;
  std::map<std::string, model::ConfigStreamService> udp_services;
  std::map<std::string, const Label*> ports;  // "tcp/<service>" or "udp/<service>" → its label.
  bool empty() const {
    return tcp_routers.empty() && tcp_services.empty() && udp_routers.empty() &&
           udp_services.empty();
  }
};

// A label whose path starts with tcp or udp; what is not a router or service option becomes
// an error of the object it names, or of `unknown` when it names none.
void read_stream_label(const Label& l, const std::string& source, StreamLabels& out,
                       std::vector<std::string>& unknown);

// Where a container is reached, decided once per container by the HTTP side's rules.
using AddressOf = std::function<model::Result<std::string>()>;

// As Traefik's Docker provider: a protocol with routers but no service gets one named
// `default_name`; a router without a service takes the protocol's only one (several: an
// error naming the label to set); a TCP router needs a rule (there is no default one); each
// service's server is the container's address and its `server.port` label, else the lowest
// port the container exposes for that protocol. A container that is not serving keeps its
// services without servers.
void link_stream_labels(StreamLabels& sl, const std::string& default_name,
                        const std::string& prefix, bool serving,
                        const std::vector<std::uint16_t>& tcp_ports,
                        const std::vector<std::uint16_t>& udp_ports, const AddressOf& address_of);

}  // namespace wharf::controller::docker
