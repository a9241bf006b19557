#pragma once

#include <memory>

#include "dataplane/proxy/forward.hpp"
#include "dataplane/proxy/upstream.hpp"

namespace wharf::dataplane::codec::http2 {
class ClientStream;
}

namespace wharf::dataplane::proxy {

// An HTTP/2 server as the message relay sees it: the request a stream on a pooled connection
// (codec/http2/client_pool.hpp), its head made from the upstream request's fields (pseudo-header
// fields first, HTTP/1.1's connection fields left out: RFC 9113 section 8.2.2), the response's
// heads, body and trailers as they arrive.
class H2Upstream final : public Upstream {
 public:
  explicit H2Upstream(ForwardContext& ctx);
  ~H2Upstream() override;

  awaitable<std::optional<UpstreamFailure>> open(const UpstreamRequest& req,
                                                 bool may_reuse) override;
  awaitable<error_code> send_body(const char* data, std::size_t n, bool last,
                                  http::fields* trailers) override;
  awaitable<HeadRead> read_head(http::response_header<>& head) override;
  awaitable<BodyPiece> read_body(char* buf, std::size_t size) override;
  http::fields* trailers() override;
  void finish(bool complete) override;
  void abort() override;
  bool reused() const override { return reused_; }

 private:
  ForwardContext& ctx_;
  std::shared_ptr<codec::http2::ClientStream> stream_;
  bool reused_ = false;
  bool head_request_ = false;
};

}  // namespace wharf::dataplane::proxy
