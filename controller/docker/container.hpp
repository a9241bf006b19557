#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/result.hpp"

namespace wharf::controller::docker {

// The facts the label translator needs from one `GET /containers/{id}/json` (what
// `docker inspect` prints), pulled out once so translation is a pure function of plain values.
struct Container {
  enum class State { kRunning, kPaused, kRestarting, kStopped };
  enum class Health { kNone, kStarting, kHealthy, kUnhealthy };

  std::string id;
  std::string name;  // Without Docker's leading '/'.
  std::map<std::string, std::string> labels;
  State state = State::kStopped;
  Health health = Health::kNone;
  std::string network_mode;  // HostConfig.NetworkMode: "host", "bridge", "container:<id>", ...
  std::vector<std::pair<std::string, std::string>> networks;  // (name, IPv4 or IPv6), by name.
  std::vector<std::uint16_t> exposed_tcp_ports;               // Ascending.
  std::vector<std::uint16_t> exposed_udp_ports;               // Ascending.

  // Only a running, unpaused container that is healthy (or has no health check) takes traffic.
  bool serving() const {
    return state == State::kRunning && (health == Health::kNone || health == Health::kHealthy);
  }
};

// Parses one inspect object. Fails only when the JSON is not an inspect result at all.
model::Result<Container> parse_inspect(std::string_view json);

// `docker inspect` output (a JSON array of inspect objects), as in the test fixtures.
model::Result<std::vector<Container>> parse_inspect_array(std::string_view json);

// From `GET /containers/json` (the list): each container's id and labels, enough to decide
// which ones are worth inspecting.
struct ContainerSummary {
  std::string id;
  std::map<std::string, std::string> labels;
};
model::Result<std::vector<ContainerSummary>> parse_container_list(std::string_view json);

}  // namespace wharf::controller::docker
