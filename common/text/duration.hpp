#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace wharf::text {

// Traefik's durations, wherever they are written (static and dynamic files, labels,
// annotations): a Go duration ("1m30s", "500ms", "1.5s", "2h") or a bare number of seconds.
// Nothing for anything else, or for more than about 30 years.
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);

}  // namespace wharf::text
