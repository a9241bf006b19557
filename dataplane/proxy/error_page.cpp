#include "dataplane/proxy/error_page.hpp"

#include "dataplane/proxy/fetch.hpp"
#include "dataplane/proxy/forwarded.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "text/percent.hpp"
#include "text/placeholders.hpp"

namespace wharf::dataplane::proxy {
namespace {

constexpr std::uint64_t kMaxPage = 1 << 20;

}  // namespace

awaitable<std::optional<middleware::Reply>> find_error_page(
    const middleware::ExchangePolicy& policy, unsigned status, const PageRequest& q,
    UpstreamPool& pool, const asio::any_io_executor& executor) {
  for (auto it = policy.errors.rbegin(); it != policy.errors.rend(); ++it) {
    const auto& spec = *it->spec;
    bool taken = false;
    for (const auto& r : spec.status) taken = taken || r.contains(status);
    if (!taken) continue;
    unsigned sent = status;
    for (const auto& [range, to] : spec.rewrites) {
      if (range.contains(status)) {
        sent = to;
        break;
      }
    }
    const auto& service = *it->service;
    const routing::CompiledServer* server = service.pick();
    if (!server) co_return std::nullopt;
    const std::string target =
        text::fill_placeholders(spec.query, {{"{status}", std::to_string(sent)},
                                             {"{originalStatus}", std::to_string(status)},
                                             {"{url}", text::percent_encode(q.url)}});
    http::request<http::empty_body> ask{http::verb::get, target, 11};
    // As Traefik does, the page service sees the client's Host unless it does not pass it on.
    ask.set(http::field::host,
            service.pass_host_header && !q.host.empty() ? q.host : server->authority);
    if (!q.accept.empty()) ask.set(http::field::accept, q.accept);
    if (!q.accept_language.empty()) ask.set(http::field::accept_language, q.accept_language);
    for (const auto& [name, value] : spec.request_headers) {
      const std::string v = text::fill_placeholders(
          value, {{"{status}", std::to_string(status)}, {"{uri}", q.url}, {"{accept}", q.accept}});
      if (!v.empty()) ask.set(name, v);
    }
    auto timeout = std::chrono::milliseconds(service.timeouts.response_header_ms);
    // A named local: temporaries inside co_await expressions are fragile under GCC 12.
    const std::string what = "errors: service " + service.name;
    auto page = co_await fetch(pool, executor, *server, ask, timeout, kMaxPage, what);
    if (!page) co_return std::nullopt;
    middleware::Reply r;
    r.status = sent;
    strip_hop_by_hop(page->base());
    for (const auto& f : page->base()) {
      auto name = f.name_string();
      if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Server") ||
          beast::iequals(name, "Date")) {
        continue;
      }
      r.headers.emplace_back(std::string(name), std::string(f.value()));
    }
    r.body = std::move(page->body());
    r.no_body = r.body.empty() && (sent == 204 || sent == 304);
    co_return r;
  }
  co_return std::nullopt;
}

}  // namespace wharf::dataplane::proxy
