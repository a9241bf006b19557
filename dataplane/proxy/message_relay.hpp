#pragma once

#include <memory>
#include <optional>

#include "dataplane/proxy/forward.hpp"
#include "dataplane/proxy/request_facts.hpp"
#include "dataplane/proxy/upstream.hpp"

namespace wharf::dataplane::proxy {

// The relay for every pairing with HTTP/2 on a side (HTTP/2 to HTTP/1.1, HTTP/1.1 to HTTP/2,
// HTTP/2 to HTTP/2): the request goes as a head, body pieces and trailers from the client's
// codec (Downstream) to the server's (Upstream), and the response back the same way. Both
// directions move at once, so a gRPC call streaming both ways works; each piece is read from
// one side only when the other has taken the previous one (flow control end to end), so a
// stream costs at most its relay buffers whatever the size of its bodies.
class MessageRelay final : public Relay {
 public:
  // `up` is the request as it goes upstream, made by the caller from the client's head.
  MessageRelay(ForwardContext& ctx, UpstreamRequest& up);
  ~MessageRelay() override;

  awaitable<AttemptResult> attempt(bool may_retry_same) override;
  void retarget(const routing::CompiledServer& next) override;
  awaitable<bool> give_up(server::LocalReason reason) override;
  RetryFacts facts() const override;

  // Each direction's piece size: four HTTP/2 frames of the default size.
  static constexpr std::size_t kPiece = 64 * 1024;
  // The request body's way upstream, beside the response's way back (message_relay.cpp).
  struct Pump;

 private:
  awaitable<AttemptResult> relay_response(Upstream& up, Pump& pump,
                                          std::chrono::steady_clock::time_point started);
  awaitable<AttemptResult> stop(Upstream& up, Pump& pump, AttemptResult result);
  awaitable<AttemptResult> local(server::LocalReason reason, std::string_view detail = {});

  ForwardContext& ctx_;
  UpstreamRequest& up_;
  bool response_complete_ = false;  // The last attempt's response reached the client whole.
  std::unique_ptr<char[]> response_piece_;
  std::size_t response_piece_size_ = 0;
};

}  // namespace wharf::dataplane::proxy
