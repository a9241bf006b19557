#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wharf::dataplane::proxy {

// The protocol a client spoke: the access log's and the metrics' label.
enum class Protocol : std::uint8_t { kHttp10, kHttp11, kHttp2 };
inline constexpr std::size_t kProtocols = 3;
// "HTTP/1.0", "HTTP/1.1", "HTTP/2.0": as the access log writes the request line's version.
std::string_view protocol_name(Protocol p);
// "1.0", "1.1", "2": the metrics label value.
std::string_view protocol_label(Protocol p);

}  // namespace wharf::dataplane::proxy
