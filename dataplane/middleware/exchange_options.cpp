#include <charconv>

#include "dataplane/middleware/breaker.hpp"
#include "dataplane/middleware/builders.hpp"
#include "middleware/chain.hpp"

// The middlewares that shape the exchange with the server rather than the request: they leave
// their settings in the request's ExchangePolicy and the proxy (dataplane/proxy/exchange.cpp)
// acts on them. Only the circuit breaker and a too-large Content-Length answer right here.
namespace wharf::dataplane::middleware {
namespace {

class Retry : public Middleware {
 public:
  explicit Retry(const spec::Retry& s) : s_(s) {}
  std::optional<Reply> handle(Request& req) const override {
    req.policy.retry = &s_;
    return std::nullopt;
  }

 private:
  spec::Retry s_;
};

class CircuitBreaker : public Middleware {
 public:
  CircuitBreaker(const spec::CircuitBreaker& s, std::shared_ptr<Breaker> state)
      : code_(s.response_code), state_(std::move(state)) {}
  std::optional<Reply> handle(Request& req) const override {
    if (!state_->allow(Breaker::Clock::now())) return Reply{code_, {}, {}};
    req.policy.breakers.push_back(state_.get());
    return std::nullopt;
  }

 private:
  unsigned code_;
  std::shared_ptr<Breaker> state_;
};

class Buffering : public Middleware {
 public:
  explicit Buffering(const spec::Buffering& s) : s_(s) {}
  std::optional<Reply> handle(Request& req) const override {
    auto tighten = [](std::uint64_t& limit, std::uint64_t ours) {
      if (ours != 0 && (limit == 0 || ours < limit)) limit = ours;
    };
    tighten(req.policy.max_request_body, s_.max_request_body);
    tighten(req.policy.max_response_body, s_.max_response_body);
    // retryExpression: the retry middleware's path, with the attempts it names.
    if (s_.retry.attempts > 1) req.policy.retry = &s_.retry;
    // A declared length over the limit is refused before anything is read or sent; a chunked
    // body is counted as it streams (dataplane/proxy/exchange.cpp).
    if (s_.max_request_body != 0) {
      auto cl = req.fields[http::field::content_length];
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
      if (!cl.empty() && ec == std::errc{} && n > s_.max_request_body) {
        return Reply{413,
                     {},
                     "413 Content Too Large: the request body is over " +
                         std::to_string(s_.max_request_body) + " bytes\n"};
      }
    }
    return std::nullopt;
  }

 private:
  spec::Buffering s_;
};

class Compress : public Middleware {
 public:
  explicit Compress(const spec::Compress& s) : s_(s) {}
  std::optional<Reply> handle(Request& req) const override {
    req.policy.compress = &s_;
    return std::nullopt;
  }

 private:
  spec::Compress s_;
};

class Errors : public Middleware {
 public:
  Errors(const spec::Errors& s, const routing::CompiledService* service)
      : s_(s), service_(service) {}
  std::optional<Reply> handle(Request& req) const override {
    req.policy.errors.push_back({&s_, service_});
    return std::nullopt;
  }

 private:
  spec::Errors s_;
  const routing::CompiledService* service_;  // Owned by the same table.
};

}  // namespace

std::shared_ptr<const Middleware> make_retry(const spec::Retry& s) {
  return std::make_shared<Retry>(s);
}

std::shared_ptr<const Middleware> make_circuit_breaker(const spec::CircuitBreaker& s,
                                                       const std::string& name,
                                                       const std::string& key,
                                                       StateRegistry& states) {
  return std::make_shared<CircuitBreaker>(s, states.get<Breaker>(key, name, s));
}

std::shared_ptr<const Middleware> make_buffering(const spec::Buffering& s) {
  return std::make_shared<Buffering>(s);
}

std::shared_ptr<const Middleware> make_compress(const spec::Compress& s) {
  return std::make_shared<Compress>(s);
}

std::shared_ptr<const Middleware> make_errors(const spec::Errors& s, const std::string& name,
                                              const ServiceLookup& services) {
  // A service named without a provider is the middleware's own provider's, as Traefik does.
  const auto* service = services(wharf::middleware_config::qualify_as(s.service, name));
  if (!service) return nullptr;
  return std::make_shared<Errors>(s, service);
}

}  // namespace wharf::dataplane::middleware
