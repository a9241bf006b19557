#pragma once

#include <chrono>
#include <string>

#include <optional>

#include "dataplane/io/net.hpp"
#include "dataplane/server/local_reply.hpp"

namespace wharf::dataplane::server {

inline constexpr std::size_t kMaxRequestHead = 64 * 1024;

// kIncomplete: no whole head in the bytes yet (read more); kClosed and kTimeout: the reader's
// verdicts when the connection ended or idled out before one came.
enum class HeadStatus { kOk, kIncomplete, kClosed, kTimeout, kTooLarge, kBad };

struct HeadResult {
  HeadStatus status = HeadStatus::kIncomplete;
  std::size_t size = 0;  // Bytes of the head at the front of the buffer, CRLFCRLF included.
  std::string reason;    // For kBad.
};

// Finds a complete request head in `bytes`; pure, so it is fuzzed and unit-tested directly.
// Leading empty lines are skipped per RFC 9112 section 2.2 (`skip` says how many bytes).
// Line folding (obs-fold) is refused here because Beast would silently unfold it, and a proxy
// that unfolds while its upstream does not is a request-smuggling vector (RFC 9112 5.2).
HeadResult find_request_head(std::string_view bytes, std::size_t& skip);

struct HeadProblem {
  LocalReason reason;
  std::string detail;
};

// Why a parsed request head is refused before routing, or nothing when it is acceptable. Beast
// has already refused Content-Length together with Transfer-Encoding, differing
// Content-Lengths and bad chunk sizes; what it lets through but RFC 9112 does not is checked
// here. `host` gets the Host field's value (empty without one), found in the same pass.
std::optional<HeadProblem> check_framing(const http::request_header<>& h, std::string_view& host);

// Whether `v` has only the bytes an authority may have (RFC 3986: reg-name or IP literal, then
// a port): Host and an absolute-form target in HTTP/1.1, :authority in HTTP/2.
bool valid_authority(std::string_view v);

// Splits the request target into the host it names (absolute-form only), the path and the
// query. False for a target that is neither origin-form, absolute-form nor "*".
bool split_target(std::string_view target, std::string_view& host, std::string_view& path,
                  std::string_view& query);

}  // namespace wharf::dataplane::server
