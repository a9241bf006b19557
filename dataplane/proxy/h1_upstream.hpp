#pragma once

#include <memory>
#include <optional>
#include <string>

#include "dataplane/io/stream.hpp"
#include "dataplane/proxy/forward.hpp"
#include "dataplane/proxy/upstream.hpp"

namespace wharf::dataplane::proxy {

using ResponseParser = http::response_parser<http::buffer_body>;

// An HTTP/1.1 server as the message relay sees it: the request written as lines (the same
// head writer and framing as the HTTP/1.1 relay), the response read with Beast's parser, its
// body in pieces through the same chunk parse step (proxy/body_relay.hpp). The connection comes
// from the worker's pool and goes back to it when both messages completed cleanly.
class H1Upstream final : public Upstream {
 public:
  explicit H1Upstream(ForwardContext& ctx);
  ~H1Upstream() override;

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
  bool switched_to_h2() const override { return switched_to_h2_; }

 private:
  ForwardContext& ctx_;
  std::unique_ptr<Stream> conn_;
  bool reused_ = false;
  bool head_request_ = false;
  bool chunked_ = false;  // The request body goes chunked.
  bool switched_to_h2_ = false;
  beast::flat_buffer buffer_;
  std::optional<ResponseParser> rp_;
  std::string wire_;
};

}  // namespace wharf::dataplane::proxy
