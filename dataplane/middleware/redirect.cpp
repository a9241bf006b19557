#include <boost/regex.hpp>

#include "dataplane/middleware/builders.hpp"

namespace wharf::dataplane::middleware {
namespace {

std::string url_of(std::string_view scheme, std::string_view host, std::string_view port,
                   const Request& req) {
  std::string url;
  url.reserve(scheme.size() + host.size() + req.path.size() + req.query.size() + 16);
  url.append(scheme).append("://").append(host);
  if (!port.empty()) url.append(":").append(port);
  url.append(req.path);
  if (!req.query.empty()) url.append("?").append(req.query);
  return url;
}

class RedirectScheme : public Middleware {
 public:
  RedirectScheme(std::string scheme, std::string port, bool permanent, unsigned status)
      : scheme_(std::move(scheme)), port_(std::move(port)), permanent_(permanent), status_(status) {
    // A port that is the scheme's default is left out of the Location.
    if ((scheme_ == "https" && port_ == "443") || (scheme_ == "http" && port_ == "80")) {
      port_.clear();
    }
  }

  std::optional<Reply> handle(Request& req) const override {
    if (req.scheme() == scheme_) return std::nullopt;
    // The normalized host has no port, and an IPv6 literal no brackets: they come back here.
    const bool v6 = req.host.find(':') != std::string_view::npos;
    const std::string host = v6 ? "[" + std::string(req.host) + "]" : std::string(req.host);
    return redirect_reply(url_of(scheme_, host, port_, req), permanent_, req.method, status_);
  }

 private:
  std::string scheme_, port_;
  bool permanent_;
  unsigned status_;
};

class RedirectRegex : public Middleware {
 public:
  explicit RedirectRegex(const spec::RedirectRegex& s) : s_(s) {}

  // Matched against the whole URL as the client addressed it, Host port included.
  std::optional<Reply> handle(Request& req) const override {
    std::string_view host_header = req.fields[http::field::host];
    std::string url = url_of(req.scheme(), host_header.empty() ? req.host : host_header, {}, req);
    if (!boost::regex_search(url, *s_.regex)) return std::nullopt;
    auto location = boost::regex_replace(url, *s_.regex, s_.replacement,
                                         boost::format_perl | boost::format_first_only);
    return redirect_reply(std::move(location), s_.permanent, req.method, s_.status);
  }

 private:
  spec::RedirectRegex s_;
};

}  // namespace

std::shared_ptr<const Middleware> make_redirect_scheme(const spec::RedirectScheme& s) {
  return std::make_shared<RedirectScheme>(s.scheme, s.port, s.permanent, s.status);
}

std::shared_ptr<const Middleware> make_redirect_regex(const spec::RedirectRegex& s) {
  return std::make_shared<RedirectRegex>(s);
}

std::shared_ptr<const Middleware> entrypoint_redirect(std::string scheme, std::string port,
                                                      bool permanent) {
  return std::make_shared<RedirectScheme>(std::move(scheme), std::move(port), permanent, 0);
}

}  // namespace wharf::dataplane::middleware
