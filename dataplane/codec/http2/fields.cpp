#include "dataplane/codec/http2/fields.hpp"

#include <charconv>

#include "dataplane/server/request_head.hpp"

namespace wharf::dataplane::codec::http2 {
namespace {

using server::LocalReason;

// Each field counts its name, its value and 32 bytes (RFC 9113 section 6.5.2).
constexpr std::size_t kFieldOverhead = 32;

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

}  // namespace

bool connection_specific(std::string_view name) {
  static constexpr std::string_view kNames[] = {"connection",       "keep-alive",
                                                "proxy-connection", "transfer-encoding",
                                                "upgrade",          "http2-settings"};
  for (auto n : kNames) {
    if (beast::iequals(name, n)) return true;
  }
  return false;
}

void HeaderBlock::add(std::string_view name, std::string_view value) {
  Span s{arena_.size(), name.size(), 0, value.size()};
  for (char c : name) arena_.push_back(lower(c));
  s.value = arena_.size();
  arena_.append(value);
  spans_.push_back(s);
}

void HeaderBlock::add_status(unsigned status) {
  char digits[8];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, status);
  add(":status", std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void HeaderBlock::add_fields(const http::fields& fields) {
  for (const auto& f : fields) {
    const auto name = f.name_string();
    if (connection_specific(name) || f.name() == http::field::host) continue;
    if (f.name() == http::field::te && !beast::iequals(f.value(), "trailers")) continue;
    add(name, f.value());
  }
}

const nghttp2_nv* HeaderBlock::data() {
  nv_.clear();
  auto* base = reinterpret_cast<std::uint8_t*>(arena_.data());
  for (const auto& s : spans_) {
    nv_.push_back({base + s.name, base + s.value, s.name_len, s.value_len, NGHTTP2_NV_FLAG_NONE});
  }
  return nv_.data();
}

void HeaderBlock::clear() {
  arena_.clear();
  spans_.clear();
  nv_.clear();
}

void RequestHeadBuilder::add(std::string_view name, std::string_view value) {
  size_ += name.size() + value.size() + kFieldOverhead;
  if (size_ > max_size_) return;  // Counted, not kept: the request gets 431.
  if (!name.empty() && name.front() == ':') {
    // :scheme is not kept: X-Forwarded-Proto says what the connection to us was.
    if (name == ":method") {
      method_ = value;
    } else if (name == ":authority") {
      authority_ = value;
    } else if (name == ":path") {
      path_ = value;
    }
    return;
  }
  if (name == "cookie") {
    // RFC 9113 section 8.2.3: crumbs are joined with "; " into one field for HTTP/1.1 and
    // for everything here that reads cookies (sticky sessions, rules).
    if (!cookie_.empty()) cookie_.append("; ");
    cookie_.append(value);
    return;
  }
  if (name == "content-length") {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size() ||
        (content_length_ && *content_length_ != n)) {
      bad_length_ = true;
    } else {
      content_length_ = n;
    }
  }
  fields_.insert(name, value);
}

std::optional<RequestHeadBuilder::Refusal> RequestHeadBuilder::finish(
    http::request_header<>& head) {
  if (size_ > max_size_) {
    return Refusal{LocalReason::kHeadersTooLarge, {}};
  }
  head.method_string(method_);
  head.target(path_);
  head.version(20);
  if (bad_length_) return Refusal{LocalReason::kBadRequest, "malformed content-length"};
  if (head.method() == http::verb::connect) {
    return Refusal{LocalReason::kNotImplemented, "CONNECT is not supported"};
  }
  std::string_view host;
  int hosts = 0;
  for (const auto& f : fields_) {
    if (f.name() == http::field::host && hosts++ == 0) host = f.value();
  }
  if (hosts > 1) return Refusal{LocalReason::kBadRequest, "more than one Host header"};
  // RFC 9113 section 8.3.1: a Host that names another authority than :authority makes the
  // request malformed; without :authority, Host carries it (a request converted from
  // HTTP/1.1 may come that way).
  if (!authority_.empty() && hosts == 1 && !beast::iequals(host, authority_)) {
    return Refusal{LocalReason::kBadRequest, "Host and :authority differ"};
  }
  std::string authority = authority_.empty() ? std::string(host) : authority_;
  if (authority.empty()) return Refusal{LocalReason::kBadRequest, "missing :authority"};
  if (!server::valid_authority(authority)) {
    return Refusal{LocalReason::kBadRequest, "malformed :authority"};
  }
  if (!path_.starts_with('/') && path_ != "*") {
    return Refusal{LocalReason::kBadRequest, "bad :path"};
  }
  // The head's own fields: Host first, as an HTTP/1.1 client puts it, then the rest in order.
  head.set(http::field::host, authority);
  for (const auto& f : fields_) {
    if (f.name() != http::field::host) head.insert(f.name_string(), f.value());
  }
  if (!cookie_.empty()) head.insert(http::field::cookie, cookie_);
  return std::nullopt;
}

void add_trailer(http::fields& trailers, std::size_t& size, std::size_t max_size,
                 std::string_view name, std::string_view value) {
  size += name.size() + value.size() + kFieldOverhead;
  if (size > max_size || name.starts_with(':')) return;
  trailers.insert(name, value);
}

}  // namespace wharf::dataplane::codec::http2
