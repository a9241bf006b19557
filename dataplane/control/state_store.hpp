#pragma once

#include <optional>
#include <string>

#include "model/result.hpp"
#include "model/routing_table.hpp"

namespace wharf::dataplane::control {

// The last applied table, kept in `<state-dir>/table.json` so a restarted data plane serves
// traffic before the controller reconnects.
class StateStore {
 public:
  explicit StateStore(std::string dir) : dir_(std::move(dir)) {}

  bool enabled() const { return !dir_.empty(); }
  std::string path() const { return dir_ + "/table.json"; }

  // Nothing when there is no state yet; an error when the file exists but cannot be used.
  model::Result<std::optional<model::RoutingTable>> load() const;

  // Writes atomically (temporary file, fsync, rename), mode 0600: a crash mid-write leaves the
  // previous table, never half of one.
  model::Status save(const model::RoutingTable& table) const;

 private:
  std::string dir_;
};

}  // namespace wharf::dataplane::control
