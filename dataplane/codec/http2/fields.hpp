#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/io/net.hpp"
#include "dataplane/server/local_reply.hpp"

namespace wharf::dataplane::codec::http2 {

// Header fields as nghttp2 takes them, names lower-cased (RFC 9113 section 8.2.1), held here
// until the submit call copies them. Fields that are specific to an HTTP/1.1 connection
// (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, and TE but for
// "trailers") are left out, as section 8.2.2 requires of anything crossing to HTTP/2.
class HeaderBlock {
 public:
  void add(std::string_view name, std::string_view value);
  void add_status(unsigned status);
  // Every field of `fields` but the connection-specific ones (and Host, which a request
  // carries as :authority).
  void add_fields(const http::fields& fields);
  // The block for a submit call; valid until the next add.
  const nghttp2_nv* data();
  std::size_t size() const { return spans_.size(); }
  void clear();

 private:
  struct Span {
    std::size_t name, name_len, value, value_len;
  };
  std::string arena_;
  std::vector<Span> spans_;
  std::vector<nghttp2_nv> nv_;
};

// Whether a field may not appear in an HTTP/2 message (RFC 9113 section 8.2.2); `name` in any
// case. TE is allowed only as "trailers" (the caller looks at its value).
bool connection_specific(std::string_view name);

// The request head an HTTP/2 stream's header fields make, built field by field as nghttp2
// hands them over (it has checked the pseudo-header fields' presence, order and values, the
// names' case and the connection-specific fields already: RFC 9113 section 8.1.1 makes those a
// stream error, which it sends). What is left to check and convert is the HTTP part.
class RequestHeadBuilder {
 public:
  // `max_size`: the most header bytes taken, each field counting its name, value and 32
  // (RFC 9113 section 6.5.2's SETTINGS_MAX_HEADER_LIST_SIZE measure).
  explicit RequestHeadBuilder(std::size_t max_size) : max_size_(max_size) {}
  void add(std::string_view name, std::string_view value);
  // The head, once the last field is in: method, target (:path), version 20, the fields with
  // a Host made from :authority (RFC 9113 section 8.3.1) and cookie crumbs joined into one
  // field (section 8.2.3). A reason to refuse the request otherwise: fields over the size
  // (431), no authority at all, one that is not an authority, or a Host that names another
  // one (400), CONNECT (501: Wharf tunnels only upgrades of HTTP/1.1).
  struct Refusal {
    server::LocalReason reason;
    std::string detail;
  };
  std::optional<Refusal> finish(http::request_header<>& head);

  std::optional<std::uint64_t> content_length() const { return content_length_; }

 private:
  std::size_t max_size_;
  std::size_t size_ = 0;
  std::string method_, authority_, path_, cookie_;
  http::fields fields_;
  std::optional<std::uint64_t> content_length_;
  bool bad_length_ = false;
};

// Trailer fields of a stream (a HEADERS frame after the body), the same size bound applied.
void add_trailer(http::fields& trailers, std::size_t& size, std::size_t max_size,
                 std::string_view name, std::string_view value);

}  // namespace wharf::dataplane::codec::http2
