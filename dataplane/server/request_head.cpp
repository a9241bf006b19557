#include "dataplane/server/request_head.hpp"

#include <array>
#include <boost/beast/core/string.hpp>

namespace wharf::dataplane::server {

HeadResult find_request_head(std::string_view bytes, std::size_t& skip) {
  skip = 0;
  while (skip + 1 < bytes.size() && bytes[skip] == '\r' && bytes[skip + 1] == '\n') skip += 2;
  auto rest = bytes.substr(skip);
  auto end = rest.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (rest.size() > kMaxRequestHead) return {HeadStatus::kTooLarge, 0, {}};
    return {HeadStatus::kIncomplete, 0, {}};
  }
  std::size_t size = end + 4;
  if (size > kMaxRequestHead) return {HeadStatus::kTooLarge, 0, {}};
  auto head = rest.substr(0, size);
  for (std::size_t i = head.find('\n'); i != std::string_view::npos && i + 1 < head.size();
       i = head.find('\n', i + 1)) {
    if (head[i + 1] == ' ' || head[i + 1] == '\t') {
      return {HeadStatus::kBad, 0, "header line folding (obs-fold) is not accepted"};
    }
  }
  return {HeadStatus::kOk, size, {}};
}

namespace {

// The bytes of an authority as RFC 3986 writes it in Host and in an absolute-form target
// (reg-name or IP literal, then a port): unreserved, sub-delims, percent escapes, ':' and the
// brackets of an IPv6 literal. Not '@': no user information in a Host. Go's server (so
// Traefik) refuses the same bytes with a 400; a host with a space or a slash could only ever
// reach host-less routers, and upstreams and logs would see it as it came.
constexpr auto kAuthorityBytes = [] {
  std::array<bool, 256> ok{};
  for (int c = 'a'; c <= 'z'; ++c) ok[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) ok[c] = true;
  for (int c = '0'; c <= '9'; ++c) ok[c] = true;
  for (unsigned char c : std::string_view("-._~!$&'()*+,;=%:[]")) ok[c] = true;
  return ok;
}();

}  // namespace

bool valid_authority(std::string_view v) {
  for (unsigned char c : v) {
    if (!kAuthorityBytes[c]) return false;
  }
  return true;
}

std::optional<HeadProblem> check_framing(const http::request_header<>& h, std::string_view& host) {
  using R = std::optional<HeadProblem>;
  // One pass comparing the parsed names: cheaper than a lookup per name in the field set.
  const http::fields::value_type* te = nullptr;  // The first Transfer-Encoding line.
  int te_lines = 0, hosts = 0;
  host = {};
  for (const auto& f : h) {
    if (f.name() == http::field::transfer_encoding) {
      if (te_lines++ == 0) te = &f;
    } else if (f.name() == http::field::host) {
      if (hosts++ == 0) host = f.value();
    }
  }
  if (te) {
    // RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
    if (h.version() < 11) return R{{LocalReason::kBadRequest, "Transfer-Encoding in HTTP/1.0"}};
    std::string_view v = te->value();
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    bool last_chunked = v.size() >= 7 && beast::iequals(v.substr(v.size() - 7), "chunked");
    // Beast treats a final coding other than chunked as "no body" and would forward the rest
    // of the stream as a new request: that is the classic TE.CL smuggling shape (RFC 9112 6.3).
    if (!last_chunked) {
      return R{{LocalReason::kBadRequest, "Transfer-Encoding does not end with chunked"}};
    }
    if (!beast::iequals(v, "chunked") || te_lines > 1) {
      return R{{LocalReason::kNotImplemented, "only the chunked transfer coding is supported"}};
    }
  }
  // RFC 9112 section 3.2: exactly one Host in HTTP/1.1.
  if (hosts > 1) return R{{LocalReason::kBadRequest, "more than one Host header"}};
  if (hosts == 0 && h.version() >= 11) return R{{LocalReason::kBadRequest, "missing Host header"}};
  if (!valid_authority(host)) return R{{LocalReason::kBadRequest, "malformed Host header"}};
  if (h.method() == http::verb::connect) {
    return R{{LocalReason::kNotImplemented, "CONNECT is not supported"}};
  }
  return std::nullopt;
}

bool split_target(std::string_view target, std::string_view& host, std::string_view& path,
                  std::string_view& query) {
  host = {};
  if (target == "*") {
    path = target;
    query = {};
    return true;
  }
  if (!target.starts_with('/')) {
    // Absolute-form (RFC 9112 section 3.2.2): its authority replaces the Host header.
    auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return false;
    auto scheme = target.substr(0, scheme_end);
    if (!beast::iequals(scheme, "http") && !beast::iequals(scheme, "https")) return false;
    auto rest = target.substr(scheme_end + 3);
    auto slash = rest.find_first_of("/?");
    host = rest.substr(0, slash);
    if (host.empty() || !valid_authority(host)) return false;
    target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (target.starts_with('?')) return false;
  }
  auto q = target.find('?');
  path = target.substr(0, q);
  query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  if (auto frag = query.find('#'); frag != std::string_view::npos) query = query.substr(0, frag);
  return true;
}

}  // namespace wharf::dataplane::server
