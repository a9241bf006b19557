#include "dataplane/proxy/response_head.hpp"

#include <algorithm>

#include "dataplane/proxy/forwarded.hpp"
#include "text/split_list.hpp"

namespace wharf::dataplane::proxy {
namespace {

// The coding a compress middleware applies to this response, or none (Traefik's criteria,
// plus RFC 9111 section 5.2.2.6: a response marked no-transform is left as it is).
Encoding pick_encoding(const wharf::middleware_config::Compress& c, const RequestFacts& req,
                       const http::response_header<>& res, std::optional<std::uint64_t> length) {
  const unsigned status = res.result_int();
  if (status == 204 || status == 304 || status == 206 || status < 200) return Encoding::kNone;
  if (res.count(http::field::content_encoding) || res.count(http::field::content_range)) {
    return Encoding::kNone;
  }
  if (length && *length < c.min_bytes) return Encoding::kNone;
  for (auto cc : text::split_list(res[http::field::cache_control])) {
    if (beast::iequals(cc, "no-transform")) return Encoding::kNone;
  }
  const std::string type = wharf::middleware_config::media_type(res[http::field::content_type]);
  auto listed = [&](const std::vector<std::string>& l) {
    return std::find(l.begin(), l.end(), type) != l.end();
  };
  // gRPC frames its own messages and never takes a content coding from a proxy.
  if (type.starts_with("application/grpc")) return Encoding::kNone;
  if (!c.included_types.empty() ? !listed(c.included_types) : listed(c.excluded_types)) {
    return Encoding::kNone;
  }
  return negotiate(req.accept_encoding ? &*req.accept_encoding : nullptr, c.encodings,
                   c.default_encoding);
}

// A compressed body is a different representation: a strong validator no longer applies to
// it (RFC 9110 section 8.8.1), so it becomes weak, as nginx does.
void weaken_etag(http::response_header<>& res) {
  auto etag = res[http::field::etag];
  if (!etag.empty() && !etag.starts_with("W/"))
    res.set(http::field::etag, "W/" + std::string(etag));
}

// Beast takes a Content-Length repeated with one value (`5, 5`, or two lines of 5), as RFC 9110
// section 8.6 allows, and refuses differing ones. Passed on as they came, the repeats would
// reach clients that refuse them (nginx as a next hop answers 400 for a duplicate line), so the
// client gets the one value once, as the section's other choice says: `length`, as parsed.
void one_content_length(http::fields& fields, std::optional<std::uint64_t> length) {
  if (!length) return;
  auto [first, end] = fields.equal_range(http::field::content_length);
  if (std::next(first) == end && first->value().find(',') == std::string_view::npos) return;
  fields.set(http::field::content_length, std::to_string(*length));
}

}  // namespace

std::optional<std::string> unsupported_coding(const http::response_header<>& res) {
  auto lines = res.equal_range(http::field::transfer_encoding);
  if (lines.first == lines.second) return std::nullopt;
  std::string value(lines.first->value());
  if (std::next(lines.first) == lines.second && beast::iequals(value, "chunked")) {
    return std::nullopt;
  }
  for (auto it = std::next(lines.first); it != lines.second; ++it) {
    value.append(", ").append(it->value());
  }
  return value;
}

std::unique_ptr<Encoder> shape_response(http::response_header<>& res, const ForwardContext& ctx,
                                        const RequestFacts& req,
                                        std::optional<std::uint64_t> length, bool body_follows,
                                        bool trailers_follow) {
  strip_hop_by_hop(res, trailers_follow);
  one_content_length(res, length);
  middleware::apply(ctx.response_ops, res);
  if (!ctx.policy.compress || !body_follows) return nullptr;
  const auto e = pick_encoding(*ctx.policy.compress, req, res, length);
  if (e == Encoding::kNone) return nullptr;
  res.erase(http::field::content_length);
  res.set(http::field::content_encoding, token(e));
  res.insert(http::field::vary, "Accept-Encoding");
  res.erase(http::field::trailer);  // The trailers are dropped with compression.
  weaken_etag(res);
  return make_encoder(e);
}

}  // namespace wharf::dataplane::proxy
