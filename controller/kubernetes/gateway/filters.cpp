#include <algorithm>

#include "controller/kubernetes/gateway/route_builder.hpp"
#include "text/ascii.hpp"
#include "text/literals.hpp"

// HTTPRoute and GRPCRoute filters as Wharf middlewares, in the order the rule lists them.
namespace wharf::controller::kubernetes::gateway {
namespace {

using MiddlewareOptions = std::vector<std::pair<std::string, std::string>>;

// RequestHeaderModifier / ResponseHeaderModifier: set replaces, add appends a field line,
// remove removes (an empty customRequestHeaders value is a removal).
MiddlewareOptions header_options(const HeaderModifier& h, bool request) {
  const std::string side = request ? "request" : "response";
  MiddlewareOptions o;
  for (const auto& [name, value] : h.set)
    o.emplace_back("custom" + side + "headers." + text::lower(name), value);
  for (const auto& [name, value] : h.add)
    o.emplace_back("append" + side + "headers." + text::lower(name), value);
  for (const auto& name : h.remove)
    o.emplace_back("custom" + side + "headers." + text::lower(name), "");
  return o;
}

// The prefix a match's path is, for ReplacePrefixMatch: without its trailing '/' (the match
// is element-wise, so "/foo/" and "/foo" are the same prefix); "/" is the empty prefix.
std::string match_prefix(const HttpMatch& m) {
  std::string p = m.path_value.empty() ? "/" : m.path_value;
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

// ReplacePrefixMatch as a regular expression over the path and its replacement: the matched
// prefix becomes `value`, what follows it stays ("/foo/bar" with /foo → /xyz is "/xyz/bar").
// `tail` matches the rest of the path (it differs between a path alone and a whole URL).
std::pair<std::string, std::string> prefix_rewrite(const HttpMatch& m, std::string value,
                                                   const std::string& tail, int group) {
  const std::string prefix = text::regex_literal(match_prefix(m));
  const std::string ref = "${" + std::to_string(group) + "}";
  while (value.size() > 1 && value.back() == '/') value.pop_back();
  if (value == "/" || value.empty()) return {prefix + "/?(" + tail + ")", "/" + ref};
  return {prefix + "(/" + tail + ")?", text::perl_literal(value) + ref};
}

}  // namespace

std::string RouteBuilder::middleware(std::string name, std::string type, MiddlewareOptions options,
                                     const std::string& source) {
  if (made_.insert("middleware " + name).second) {
    model::ConfigMiddleware m;
    m.name = name;
    m.type = std::move(type);
    m.options = std::move(options);
    m.source = source;
    out_.middlewares.push_back(std::move(m));
  }
  return name;
}

std::vector<std::string> RouteBuilder::filters(const HttpRoute& route, std::size_t rule,
                                               std::size_t match, const ListenerView& listener,
                                               std::string& why) {
  const auto& spec = route.rules[rule];
  static const HttpMatch kEverything;
  const HttpMatch& m = spec.matches.empty() ? kEverything : spec.matches[match];
  const bool prefix_match = m.path_type.empty() || m.path_type == "PathPrefix";
  std::vector<std::string> out;
  for (std::size_t k = 0; k < spec.filters.size(); ++k) {
    const auto& f = spec.filters[k];
    const std::string base =
        route_prefix(route) + ".rule" + std::to_string(rule) + ".filter" + std::to_string(k);
    const std::string source = where(route) + " spec.rules[" + std::to_string(rule) + "].filters[" +
                               std::to_string(k) + "]";
    const bool replace_prefix = f.path && f.path->type == "ReplacePrefixMatch";
    if (replace_prefix && !prefix_match) {
      why = "filters[" + std::to_string(k) + "]: ReplacePrefixMatch needs a PathPrefix match";
      return {};
    }
    if (f.type == "RequestHeaderModifier" || f.type == "ResponseHeaderModifier") {
      out.push_back(middleware(
          base, "headers", header_options(f.headers, f.type == "RequestHeaderModifier"), source));
    } else if (f.type == "RequestRedirect") {
      // Location is built from the URL the client used (scheme://host[:port]/path?query):
      // the scheme, host, port and path the filter names replace the request's. Without a
      // port, a new scheme takes its well-known port and otherwise the listener's own stays;
      // the well-known port of the resulting scheme is not written.
      const std::string scheme = f.scheme.empty() ? (listener.tls ? "https" : "http") : f.scheme;
      std::int32_t port = f.port;
      if (port == 0) port = f.scheme.empty() ? listener.spec->port : (scheme == "https" ? 443 : 80);
      const bool default_port =
          (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
      std::string regex = "^[a-z]+://(\\[[^\\]]*\\]|[^/:?]*)(?::[0-9]+)?";
      std::string location = scheme + "://" +
                             (f.hostname.empty() ? "${1}" : text::perl_literal(f.hostname)) +
                             (default_port ? "" : ":" + std::to_string(port));
      if (!f.path) {
        regex += "(/[^?]*)?";
        location += "${2}";
      } else if (f.path->type == "ReplaceFullPath") {
        regex += "(/[^?]*)?";
        location += text::perl_literal(f.path->value.empty() ? "/" : f.path->value);
      } else {
        auto [re, replacement] = prefix_rewrite(m, f.path->value, "[^?]*", 2);
        regex += re;
        location += replacement;
      }
      regex += "(\\?.*)?$";
      location += "${3}";
      const std::int32_t status = f.status_code == 0 ? 302 : f.status_code;
      out.push_back(middleware(
          base + ".match" + std::to_string(match) + ".port" + std::to_string(listener.spec->port) +
              (listener.tls ? "s" : ""),
          "redirectregex",
          {{"regex", regex}, {"replacement", location}, {"statuscode", std::to_string(status)}},
          source));
    } else if (f.type == "URLRewrite") {
      if (!f.hostname.empty()) {
        out.push_back(middleware(base + ".host", "headers",
                                 {{"customrequestheaders.host", f.hostname}}, source));
      }
      if (f.path && f.path->type == "ReplaceFullPath") {
        out.push_back(middleware(base + ".path", "replacepath",
                                 {{"path", f.path->value.empty() ? "/" : f.path->value}}, source));
      } else if (replace_prefix) {
        auto [re, replacement] = prefix_rewrite(m, f.path->value, ".*", 1);
        out.push_back(middleware(base + ".match" + std::to_string(match), "replacepathregex",
                                 {{"regex", "^" + re + "$"}, {"replacement", replacement}},
                                 source));
      }
    }
  }
  return out;
}

}  // namespace wharf::controller::kubernetes::gateway
