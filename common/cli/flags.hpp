#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace wharf::cli {

struct FlagSpec {
  const char* name;         // "--state-dir"
  bool takes_value = true;  // false: a switch, "true" when present (env: true/false)
  bool repeatable = false;  // from the environment: a comma-separated list
  // A family: `name` ends with '.', and every flag starting with it is taken, under its own
  // lower-cased name (Traefik's `--certificatesresolvers.le.acme.email=...`); alone it means
  // "true". From the environment, WHARF_CERTIFICATESRESOLVERS_LE_ACME_EMAIL and the like: the
  // part after the prefix, lower-cased, every underscore read as a dot.
  bool prefix = false;
};

// The flags both binaries share the conventions of: `--flag value` or `--flag=value`; flags
// absent from the command line are read from WHARF_<FLAG> (`--state-dir` → WHARF_STATE_DIR);
// the command line wins. `--help`/`-h` and `--version` come back as flags of those names.
// Unknown flags and missing values are errors naming the flag.
using Flags = std::map<std::string, std::vector<std::string>>;
model::Result<Flags> collect_flags(int argc, const char* const* argv, char** envp,
                                   const std::vector<FlagSpec>& specs);

// --state-dir → WHARF_STATE_DIR
std::string env_name(std::string_view flag);

}  // namespace wharf::cli
