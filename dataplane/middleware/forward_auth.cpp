#include <boost/regex.hpp>

#include "dataplane/middleware/builders.hpp"
#include "dataplane/proxy/fetch.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "log/log.hpp"
#include "text/percent.hpp"
#include "text/placeholders.hpp"

// Traefik's forwardAuth: before the request goes on, a copy of its head (no body) is sent to
// the auth server. A 2xx lets it pass, with the headers the auth server names copied onto it;
// anything else (a 302 to the login page, a 401) is the client's answer, body included.
namespace wharf::dataplane::middleware {
namespace {

using ms = std::chrono::milliseconds;
constexpr auto kTimeout = ms(30'000);  // Traefik's auth client timeout.

class ForwardAuth : public Middleware {
 public:
  explicit ForwardAuth(const spec::ForwardAuth& s)
      : s_(s), server_(routing::compile_server({s.address, 1}, transport(s))) {
    // The spec checked it is http(s)://authority[/path]; the path (and query) is the target.
    auto rest = std::string_view(s.address);
    rest.remove_prefix(rest.find("://") + 3);
    auto slash = rest.find_first_of("/?");
    target_ = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (target_.front() == '?') target_.insert(target_.begin(), '/');
    what_ = "forwardauth " + s.address;
  }

  // An https auth server is verified as the default servers transport does (the system's
  // trust store), or against tls.ca, unless tls.insecureSkipVerify; tls.cert is presented.
  static std::shared_ptr<const tls::UpstreamTls> transport(const spec::ForwardAuth& s) {
    if (!s.insecure_skip_verify && s.ca_pem.empty() && s.cert_pem.empty()) return nullptr;
    model::ServersTransport t;
    t.name = "forwardauth";
    t.insecure_skip_verify = s.insecure_skip_verify;
    if (!s.ca_pem.empty()) t.root_cas.push_back(s.ca_pem);
    t.cert_pem = s.cert_pem;
    t.key_pem = s.key_pem;
    t.disable_http2 = true;  // The auth server is asked over HTTP/1.1, as Traefik asks it.
    auto made = tls::make_upstream_tls(t);
    return made ? *made : nullptr;
  }

  bool is_async() const override { return true; }
  std::optional<Reply> handle(Request&) const override { return std::nullopt; }

  awaitable<std::optional<Reply>> handle_async(Request& req, AsyncContext& ctx) const override {
    http::request<http::empty_body> ask = auth_request(req);
    bool too_large = false;
    std::optional<http::response<http::string_body>> answer = co_await proxy::fetch(
        ctx.pool, ctx.executor, server_, ask, kTimeout, s_.max_response_body, what_, &too_large);
    if (!answer && too_large) {
      // Traefik's answer to an auth response over maxResponseBodySize.
      co_return Reply{401, {}, "401 Unauthorized\n"};
    }
    if (!answer) {
      co_return Reply{502, {}, "502 Bad Gateway: the forward auth server did not answer\n"};
    }
    auto& res = *answer;
    if (res.result_int() >= 200 && res.result_int() < 300) {
      pass(res, req);
      co_return std::nullopt;
    }
    if (res.result_int() == 401 && !s_.signin_url.empty()) {
      co_return Reply{302, {{"Location", signin_url(req)}}, {}};
    }
    // The auth server's answer goes to the client as it is: the login redirect, its cookies,
    // its page. Framing and hop-by-hop fields are ours to set.
    Reply r;
    r.status = res.result_int();
    proxy::strip_hop_by_hop(res.base());
    for (const auto& f : res.base()) {
      auto name = f.name_string();
      if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Server") ||
          beast::iequals(name, "Date")) {
        continue;
      }
      r.headers.emplace_back(std::string(name), std::string(f.value()));
    }
    r.body = std::move(res.body());
    r.no_body = r.body.empty();
    co_return r;
  }

 private:
  http::request<http::empty_body> auth_request(const Request& req) const {
    http::request<http::empty_body> ask;
    ask.version(11);
    ask.method_string(s_.preserve_method   ? req.method
                      : !s_.method.empty() ? std::string_view(s_.method)
                                           : std::string_view("GET"));
    ask.target(target_);
    if (s_.request_headers.empty()) {
      for (const auto& f : req.fields) ask.insert(f.name_string(), f.value());
      proxy::strip_hop_by_hop(ask.base());
      ask.erase(http::field::content_length);
      ask.erase(http::field::expect);
    } else {
      for (const auto& name : s_.request_headers) {
        auto [lo, hi] = req.fields.equal_range(name);
        for (auto it = lo; it != hi; ++it) ask.insert(it->name_string(), it->value());
      }
    }
    ask.set(http::field::host, server_.authority);
    // What the request was, for the auth server's decision and its login redirect. From the
    // client only when trustForwardHeader says its X-Forwarded-* are to be believed.
    auto forwarded = [&](std::string_view name, std::string_view value) {
      if (!s_.trust_forward_header || req.fields[name].empty()) ask.set(name, value);
    };
    std::string uri = req.path + (req.query.empty() ? "" : "?" + req.query);
    std::string host(req.fields[http::field::host]);
    forwarded("X-Forwarded-Method", req.method);
    forwarded("X-Forwarded-Proto", req.scheme());
    forwarded("X-Forwarded-Host", host.empty() ? std::string(req.host) : host);
    forwarded("X-Forwarded-Uri", uri);
    std::string client = req.client.client.to_string();
    if (s_.original_headers) {
      ask.set("X-Original-URL", std::string(req.scheme()) + "://" +
                                    (host.empty() ? std::string(req.host) : host) + uri);
      ask.set("X-Original-Method", req.method);
      ask.set("X-Auth-Request-Redirect", s_.request_redirect.empty() ? uri : s_.request_redirect);
      ask.set("X-Real-IP", client);
      ask.set("X-Sent-From", "nginx-ingress-controller");
    }
    auto xff = std::string(req.fields["X-Forwarded-For"]);
    ask.set("X-Forwarded-For", s_.trust_forward_header && !xff.empty()
                                   ? xff + ", " + req.client.peer.to_string()
                                   : client);
    return ask;
  }

  // A 2xx: the request goes on with what the auth server says about it. The named headers are
  // removed first, so a client cannot send its own X-Auth-User and have it believed when the
  // auth server does not set one.
  void pass(http::response<http::string_body>& res, Request& req) const {
    for (const auto& name : s_.response_headers) {
      req.fields.erase(name);
      auto [lo, hi] = res.base().equal_range(name);
      for (auto it = lo; it != hi; ++it) req.fields.insert(name, it->value());
    }
    if (s_.response_headers_regex) {
      std::vector<std::string> stale;
      for (const auto& f : req.fields) {
        if (matches(f.name_string())) stale.emplace_back(f.name_string());
      }
      for (const auto& n : stale) req.fields.erase(n);
      for (const auto& f : res.base()) {
        if (matches(f.name_string())) req.fields.insert(f.name_string(), f.value());
      }
    }
    if (!s_.response_cookies.empty()) {
      auto [lo, hi] = res.base().equal_range(http::field::set_cookie);
      for (auto it = lo; it != hi; ++it) {
        std::string_view cookie = it->value();
        auto name = cookie.substr(0, cookie.find('='));
        for (const auto& wanted : s_.response_cookies) {
          if (name == wanted) {
            req.response.push_back({HeaderOp::Kind::kAppend, "Set-Cookie", std::string(cookie)});
          }
        }
      }
    }
  }

  // authSigninURL with the request's {scheme}, {host}, {uri} and {escaped_uri}.
  std::string signin_url(const Request& req) const {
    const std::string& url = s_.signin_url;
    if (url.find('{') == std::string::npos) return url;
    std::string host(req.fields[http::field::host]);
    if (host.empty()) host = req.host;
    const std::string uri = req.path + (req.query.empty() ? "" : "?" + req.query);
    return text::fill_placeholders(url, {{"{scheme}", req.scheme()},
                                         {"{host}", host},
                                         {"{uri}", uri},
                                         {"{escaped_uri}", text::percent_encode(uri)}});
  }

  bool matches(std::string_view name) const {
    return boost::regex_search(name.begin(), name.end(), *s_.response_headers_regex);
  }

  spec::ForwardAuth s_;
  routing::CompiledServer server_;
  std::string target_;
  std::string what_;  // For log lines.
};

}  // namespace

std::shared_ptr<const Middleware> make_forward_auth(const spec::ForwardAuth& s) {
  return std::make_shared<ForwardAuth>(s);
}

}  // namespace wharf::dataplane::middleware
