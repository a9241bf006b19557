#pragma once

#include <string>
#include <string_view>

#include "model/result.hpp"

namespace wharf::files {

// Replaces `path` with `data` so that a crash at any moment leaves the old file or the new
// one, never half of either: the data is written beside it (mode 0600 from the first byte: keys
// and tables are private), flushed to disk, renamed over `path`, and the directory flushed so
// the rename itself survives. Every failure is reported (naming the file and the reason) and
// leaves `path` as it was.
model::Status write_private_file(const std::string& path, std::string_view data);

}  // namespace wharf::files
