#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>

#include "controller/kubernetes/cluster_config.hpp"
#include "controller/net.hpp"
#include "model/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace wharf::controller::kubernetes {

struct ApiResponse {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // As received, in order.

  // The first value of header `name` (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// The controller's HTTPS client — the Kubernetes API's, and the ACME server's (acme/) — on
// Beast, over TLS (OpenSSL, verifying the server against the
// configured CA and host name, optional client certificate) or plain HTTP. One connection per
// request; each watch holds its own. The bearer token is re-read from its file before every
// request, so a rotated service account token is picked up without a restart.
class ApiClient {
 public:
  ApiClient(asio::any_io_executor ex, ClusterConfig config);
  ~ApiClient();

  // Builds the TLS context (CA, client certificate); reports unusable PEM data.
  model::Status init();

  awaitable<model::Result<ApiResponse>> request(boost::beast::http::verb verb, std::string target,
                                                std::string body = {},
                                                std::string content_type = "application/json");

  // GET with a streamed response body (watch): `on_line` gets each newline-terminated JSON
  // event as it arrives, however the chunks are cut. Returns when the stream ends: the server's
  // timeout, an error, or a non-200 answer (as an error with the status and body).
  awaitable<model::Status> stream(std::string target,
                                  std::function<void(std::string_view)> on_line);

  const ClusterConfig& config() const { return config_; }

 private:
  template <typename Fn>
  auto with_stream(Fn fn) -> decltype(fn(std::declval<boost::beast::tcp_stream&>()));

  asio::any_io_executor ex_;
  ClusterConfig config_;
  bool tls_ = false;
  std::string host_, port_, authority_;
  std::unique_ptr<asio::ssl::context> ssl_;
};

}  // namespace wharf::controller::kubernetes
