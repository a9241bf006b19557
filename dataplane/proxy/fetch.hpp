#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "dataplane/io/net.hpp"
#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/routing/compiled_table.hpp"

namespace wharf::dataplane::proxy {

// One small request the data plane makes on its own behalf (forward auth's question, an error
// page), on a pooled or new connection, its whole answer read into memory up to `body_limit`.
// Nothing when the server could not be reached, did not answer within `timeout`, or answered
// more than `body_limit` (then `*too_large` is set, when given); the reason is logged under
// `what` ("forwardauth http://auth:9091"). A pooled connection the server closed meanwhile is
// retried once on a fresh one.
awaitable<std::optional<http::response<http::string_body>>> fetch(
    UpstreamPool& pool, const asio::any_io_executor& executor,
    const routing::CompiledServer& server, const http::request<http::empty_body>& req,
    std::chrono::milliseconds timeout, std::uint64_t body_limit, std::string_view what,
    bool* too_large = nullptr);

}  // namespace wharf::dataplane::proxy
