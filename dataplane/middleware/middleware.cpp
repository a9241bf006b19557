#include "dataplane/middleware/middleware.hpp"

#include "dataplane/middleware/builders.hpp"

namespace wharf::dataplane::middleware {

void apply(const std::vector<HeaderOp>& ops, http::fields& fields) {
  for (const auto& op : ops) {
    switch (op.kind) {
      case HeaderOp::Kind::kSet:
        fields.set(op.name, op.value);
        break;
      case HeaderOp::Kind::kErase:
        fields.erase(op.name);
        break;
      case HeaderOp::Kind::kAppend:
        fields.insert(op.name, op.value);
        break;
    }
  }
}

awaitable<std::optional<Reply>> Middleware::handle_async(Request& req, AsyncContext&) const {
  co_return handle(req);
}

std::string_view Request::scheme() const {
  if (tls) return "https";
  // A TLS-terminating proxy in --trusted-proxies tells us the original scheme; without this a
  // redirect to https behind such a proxy would loop.
  if (client.peer_trusted && beast::iequals(fields["X-Forwarded-Proto"], "https")) return "https";
  return "http";
}

std::shared_ptr<const Middleware> build(const Spec& spec, const std::string& name,
                                        const std::string& key, StateRegistry& states,
                                        const ServiceLookup& services) {
  struct Visitor {
    const std::string& name;
    const std::string& key;
    StateRegistry& states;
    const ServiceLookup& services;
    std::shared_ptr<const Middleware> operator()(const spec::RedirectScheme& s) {
      return make_redirect_scheme(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::RedirectRegex& s) {
      return make_redirect_regex(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::StripPrefix& s) {
      return make_strip_prefix(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::StripPrefixRegex& s) {
      return make_strip_prefix_regex(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::AddPrefix& s) {
      return make_add_prefix(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::ReplacePath& s) {
      return make_replace_path(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::ReplacePathRegex& s) {
      return make_replace_path_regex(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::Headers& s) { return make_headers(s); }
    std::shared_ptr<const Middleware> operator()(const spec::BasicAuth& s) {
      return make_basic_auth(s, key, states);
    }
    std::shared_ptr<const Middleware> operator()(const spec::IpAllowList& s) {
      return make_ip_allow_list(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::RateLimit& s) {
      return make_rate_limit(s, key, states);
    }
    std::shared_ptr<const Middleware> operator()(const spec::InFlightReq& s) {
      return make_in_flight(s, key, states);
    }
    std::shared_ptr<const Middleware> operator()(const spec::ForwardAuth& s) {
      return make_forward_auth(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::Chain&) { return nullptr; }
    std::shared_ptr<const Middleware> operator()(const spec::Retry& s) { return make_retry(s); }
    std::shared_ptr<const Middleware> operator()(const spec::CircuitBreaker& s) {
      return make_circuit_breaker(s, name, key, states);
    }
    std::shared_ptr<const Middleware> operator()(const spec::Buffering& s) {
      return make_buffering(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::Compress& s) {
      return make_compress(s);
    }
    std::shared_ptr<const Middleware> operator()(const spec::Errors& s) {
      return make_errors(s, name, services);
    }
  };
  return std::visit(Visitor{name, key, states, services}, spec);
}

std::optional<model::IpAddress> client_address(const spec::IpStrategy& s, const Request& req) {
  if (s.depth == 0 && s.excluded.empty()) return req.client.client;
  // Every X-Forwarded-For line, in order, as one list.
  std::vector<std::string_view> hops;
  auto [lo, hi] = req.fields.equal_range("X-Forwarded-For");
  for (auto it = lo; it != hi; ++it) {
    std::string_view v = it->value();
    while (!v.empty()) {
      auto comma = v.find(',');
      auto part = v.substr(0, comma);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
      hops.push_back(part);
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  if (s.depth > 0) {
    if (hops.size() < s.depth) return std::nullopt;
    return model::IpAddress::parse(hops[hops.size() - s.depth]);
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto ip = model::IpAddress::parse(*it);
    if (ip && !model::any_contains(s.excluded, *ip)) return ip;
  }
  return std::nullopt;
}

std::string source_key(const spec::SourceCriterion& c, const Request& req) {
  if (c.host) return std::string(req.host);
  if (!c.header.empty()) return std::string(req.fields[c.header]);
  auto ip = client_address(c.ip, req);
  return ip ? ip->to_string() : std::string();
}

Reply redirect_reply(std::string location, bool permanent, std::string_view method,
                     unsigned status) {
  // 301/302 let clients turn a POST into a GET; 307/308 keep the method, so they are used
  // for everything but GET and HEAD (Traefik v3 does the same).
  const bool safe = method == "GET" || method == "HEAD";
  Reply r;
  r.status = status ? status : permanent ? (safe ? 301 : 308) : (safe ? 302 : 307);
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

}  // namespace wharf::dataplane::middleware
