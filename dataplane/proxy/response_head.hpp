#pragma once

#include <memory>
#include <optional>
#include <string>

#include "dataplane/io/net.hpp"
#include "dataplane/proxy/encoder.hpp"
#include "dataplane/proxy/forward.hpp"
#include "dataplane/proxy/request_facts.hpp"

namespace wharf::dataplane::proxy {

// The rules every relay applies to a server's final response head before it goes to the
// client, whatever the protocols: hop-by-hop fields out (`trailers_follow` keeps the Trailer
// announcement), one Content-Length, the middlewares' response changes in, and, when a
// compress middleware and the client agree on a coding and the response qualifies, the coding's
// fields (Content-Encoding, Vary, a weak ETag, no Content-Length or Trailer). Returns the
// encoder the body then goes through, or null.
std::unique_ptr<Encoder> shape_response(http::response_header<>& res, const ForwardContext& ctx,
                                        const RequestFacts& req,
                                        std::optional<std::uint64_t> length, bool body_follows,
                                        bool trailers_follow);

// The Transfer-Encoding of an HTTP/1.1 response whose body would reach the client still coded:
// any value but "chunked" alone (gzip, or gzip then chunked, which Beast de-chunks but does
// not decompress), or more than one such line. Such a response gets 502.
std::optional<std::string> unsupported_coding(const http::response_header<>& res);

}  // namespace wharf::dataplane::proxy
