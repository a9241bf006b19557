#pragma once

#include <string>
#include <string_view>

namespace wharf::text {

// The byte a "%XX" escape at s[i] encodes, or -1 when s[i] does not start a valid one.
int percent_byte(std::string_view s, std::size_t i);

// Query-string decoding the way HTML forms encode: "%XX" escapes and '+' for a space; an
// escape that is not valid stays as it is.
void form_decode(std::string_view in, std::string& out);

// Percent-encodes everything but RFC 3986 unreserved characters, so the result can sit in a
// query parameter (the errors middleware's {url}, forwardauth's {escaped_uri}).
std::string percent_encode(std::string_view s);

}  // namespace wharf::text
