#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dataplane/io/net.hpp"
#include "dataplane/middleware/middleware.hpp"
#include "dataplane/proxy/upstream_pool.hpp"

namespace wharf::dataplane::proxy {

// What the errors middleware needs to know of the request whose answer it replaces, copied
// when the request came in (its head's fields move upstream with it); the rest of the request
// (its cookies and credentials among them) is not sent to the page's service.
struct PageRequest {
  std::string host;             // The client's Host header.
  std::string url;              // The request target, for {url}.
  std::string accept;           // Accept, so the page service can pick HTML or JSON.
  std::string accept_language;  // Accept-Language, for a translated page.
};

// Traefik's errors middleware: when one of the router's errors middlewares takes `status`
// (the innermost first), its page is fetched from its service at `query` ({status},
// {originalStatus} and {url} filled in) and becomes the answer, under the original status
// or the one statusRewrites names. Nothing when no middleware takes the status or the page
// could not be had: the caller then answers as it would have.
awaitable<std::optional<middleware::Reply>> find_error_page(
    const middleware::ExchangePolicy& policy, unsigned status, const PageRequest& q,
    UpstreamPool& pool, const asio::any_io_executor& executor);

}  // namespace wharf::dataplane::proxy
