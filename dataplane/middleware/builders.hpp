#pragma once

#include <memory>
#include <optional>
#include <string>

#include "dataplane/middleware/middleware.hpp"

// One factory per middleware type; middleware.cpp dispatches on the spec to these.
namespace wharf::dataplane::middleware {

namespace spec = wharf::middleware_config;

std::shared_ptr<const Middleware> make_redirect_scheme(const spec::RedirectScheme& s);
std::shared_ptr<const Middleware> make_redirect_regex(const spec::RedirectRegex& s);
std::shared_ptr<const Middleware> make_strip_prefix(const spec::StripPrefix& s);
std::shared_ptr<const Middleware> make_strip_prefix_regex(const spec::StripPrefixRegex& s);
std::shared_ptr<const Middleware> make_add_prefix(const spec::AddPrefix& s);
std::shared_ptr<const Middleware> make_replace_path(const spec::ReplacePath& s);
std::shared_ptr<const Middleware> make_replace_path_regex(const spec::ReplacePathRegex& s);
std::shared_ptr<const Middleware> make_headers(const spec::Headers& s);
std::shared_ptr<const Middleware> make_basic_auth(const spec::BasicAuth& s, const std::string& key,
                                                  StateRegistry& states);
std::shared_ptr<const Middleware> make_ip_allow_list(const spec::IpAllowList& s);
std::shared_ptr<const Middleware> make_rate_limit(const spec::RateLimit& s, const std::string& key,
                                                  StateRegistry& states);
std::shared_ptr<const Middleware> make_in_flight(const spec::InFlightReq& s, const std::string& key,
                                                 StateRegistry& states);

std::shared_ptr<const Middleware> make_forward_auth(const spec::ForwardAuth& s);

std::shared_ptr<const Middleware> make_retry(const spec::Retry& s);
std::shared_ptr<const Middleware> make_circuit_breaker(const spec::CircuitBreaker& s,
                                                       const std::string& name,
                                                       const std::string& key,
                                                       StateRegistry& states);
std::shared_ptr<const Middleware> make_buffering(const spec::Buffering& s);
std::shared_ptr<const Middleware> make_compress(const spec::Compress& s);
// nullptr when the service it names is not in the table (validate() refuses that first).
std::shared_ptr<const Middleware> make_errors(const spec::Errors& s, const std::string& name,
                                              const ServiceLookup& services);

// The client address a middleware acts on (Traefik's ipStrategy): nothing when the strategy
// asks for an X-Forwarded-For entry the request does not have.
std::optional<model::IpAddress> client_address(const spec::IpStrategy& s, const Request& req);
// What a limit counts per (SourceCriterion); empty when the request has no such source.
std::string source_key(const spec::SourceCriterion& c, const Request& req);

// "301 Moved Permanently"-style redirect reply, the status chosen by method as Traefik does.
Reply redirect_reply(std::string location, bool permanent, std::string_view method,
                     unsigned status = 0);

}  // namespace wharf::dataplane::middleware
