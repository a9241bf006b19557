#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/io/net.hpp"
#include "dataplane/proxy/forwarded.hpp"
#include "dataplane/proxy/upstream_pool.hpp"
#include "dataplane/routing/state_registry.hpp"
#include "middleware/spec.hpp"

namespace wharf::dataplane::routing {
struct CompiledService;
}

namespace wharf::dataplane::middleware {

using wharf::middleware_config::Spec;
class Breaker;

// A change to the response head, collected while the request passes the chain and applied to
// whatever answers it (the upstream's response or a later middleware's reply), as Traefik's
// wrapped ResponseWriter does.
struct HeaderOp {
  enum class Kind { kSet, kErase, kAppend };
  Kind kind = Kind::kSet;
  std::string name, value;
};
void apply(const std::vector<HeaderOp>& ops, http::fields& fields);

// A reply a middleware makes instead of the upstream: a redirect, 401, 403, 429...
struct Reply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;      // Empty: "<status> <reason>\n" ...
  bool no_body = false;  // ... unless the reply has no body at all (a CORS preflight).
};

// What the router's middlewares ask of the exchange with the server (retry, buffering,
// compress, errors, circuitbreaker): they set it while the request passes them, the proxy
// acts on it. Cleared for every request; pointers are into the table the request holds.
struct ExchangePolicy {
  const wharf::middleware_config::Retry* retry = nullptr;
  std::uint64_t max_request_body = 0;  // 0: no limit; the smallest of several wins.
  std::uint64_t max_response_body = 0;
  const wharf::middleware_config::Compress* compress = nullptr;
  struct ErrorPages {
    const wharf::middleware_config::Errors* spec;
    const routing::CompiledService* service;
  };
  std::vector<ErrorPages> errors;  // In chain order: the last is closest to the server.
  std::vector<Breaker*> breakers;  // Each records how the request went.

  void clear() {
    retry = nullptr;
    max_request_body = max_response_body = 0;
    compress = nullptr;
    errors.clear();
    breakers.clear();
  }
};

// The request as middlewares see and change it. Everything is owned by the session.
struct Request {
  http::fields& fields;
  std::string_view method;
  std::string_view host;  // Normalized: lower case, no port, as rules match it.
  std::string& path;      // Raw (percent-encoded) path that goes upstream.
  std::string& query;     // Raw query without '?'; empty when none.
  bool tls = false;       // The connection to us is TLS.
  const proxy::ClientInfo& client;
  std::vector<HeaderOp>& response;
  // Released when the request is over: inflightreq's slot is one.
  std::vector<std::shared_ptr<void>>& holds;
  ExchangePolicy& policy;
  bool path_changed = false;

  // "https" over TLS or when a trusted proxy says it terminated TLS; else "http".
  std::string_view scheme() const;
};

// What a middleware that talks to another server needs from the worker running it.
struct AsyncContext {
  proxy::UpstreamPool& pool;  // The worker's keep-alive connections.
  asio::any_io_executor executor;
};

class Middleware {
 public:
  virtual ~Middleware() = default;
  // Changes the request, or answers it; a reply ends the chain.
  virtual std::optional<Reply> handle(Request& req) const = 0;
  // Middlewares that wait on the network (forwardauth) are awaited instead; the others stay
  // plain calls so a chain of them costs no coroutine frames.
  virtual bool is_async() const { return false; }
  virtual awaitable<std::optional<Reply>> handle_async(Request& req, AsyncContext& ctx) const;
};

// The services a middleware may name (errors), by qualified name; nullptr when missing.
using ServiceLookup = std::function<const routing::CompiledService*(const std::string&)>;

// The middleware for a parsed spec. `name` is its qualified name; `key` identifies its
// configuration (name, type and options) for the state registry. Chains never get here: the
// table expands them.
std::shared_ptr<const Middleware> build(const Spec& spec, const std::string& name,
                                        const std::string& key, StateRegistry& states,
                                        const ServiceLookup& services);

// Traefik's entrypoint redirection: `port` empty keeps the scheme's default port.
std::shared_ptr<const Middleware> entrypoint_redirect(std::string scheme, std::string port,
                                                      bool permanent);

}  // namespace wharf::dataplane::middleware
