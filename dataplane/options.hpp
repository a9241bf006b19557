#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ip.hpp"
#include "model/result.hpp"

namespace wharf::dataplane {

struct EntryPointAddress {
  std::string name;
  std::string host;  // Empty means every address.
  std::uint16_t port = 0;
};

// Static options of the data plane process: flags, each also readable from a WHARF_* variable.
// Everything that changes at run time lives in the routing table instead.
struct Options {
  std::vector<EntryPointAddress> entrypoints;
  std::string control_socket = "/run/wharf/control.sock";
  std::string state_dir;  // Empty: nothing persisted.
  unsigned threads = 0;   // 0: one per core.
  std::vector<model::Cidr> trusted_proxies;
  std::uint32_t drain_timeout_ms = 30'000;
  bool show_help = false;
  bool show_version = false;
};

// Parses argv; for flags absent there, the environment (WHARF_ENTRYPOINT, ...) is consulted.
model::Result<Options> parse_options(int argc, const char* const* argv, char** envp);

const char* options_help();

}  // namespace wharf::dataplane
