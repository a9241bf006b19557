#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wharf::text {

// Standard base64 (RFC 4648), as the Kubernetes API writes `[]byte` fields (Secret data,
// kubeconfig `*-data`) and HTTP Basic credentials carry it; line breaks and padding are
// skipped. Nothing when a character is outside the alphabet.
std::optional<std::string> base64_decode(std::string_view in);
// With padding and no line breaks, as the API reads `[]byte` fields.
std::string base64_encode(std::string_view bytes);

}  // namespace wharf::text
