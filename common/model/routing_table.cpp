#include "model/routing_table.hpp"

#include <charconv>
#include <map>
#include <set>

#include "middleware/chain.hpp"
#include "model/ip.hpp"
#include "rules/parser.hpp"

namespace wharf::model {

const Service* RoutingTable::find_service(std::string_view name) const {
  for (const auto& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const ServersTransport* RoutingTable::find_transport(std::string_view name) const {
  for (const auto& t : transports) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const EntryPoint* RoutingTable::find_entrypoint(std::string_view name) const {
  for (const auto& e : entrypoints) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Result<ServerAddress> parse_server_url(std::string_view url) {
  auto bad = [&](std::string why) {
    return Error{"server url '" + std::string(url) + "': " + why};
  };
  ServerAddress out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    out.tls = true;
    out.port = 443;
  } else if (url.starts_with("h2c://")) {
    rest = url.substr(6);
    out.h2c = true;
  } else {
    return bad("expected http://, https:// or h2c://");
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    out.host = std::string(rest.substr(1, close - 1));
    auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("expected ':' after ']'");
      port = after.substr(1);
    }
  } else {
    auto colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (out.host.empty()) return bad("missing host");
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535) {
      return bad("bad port '" + std::string(port) + "'");
    }
    out.port = static_cast<std::uint16_t>(p);
  }
  return out;
}

std::optional<std::string> server_url_for_ip(std::string_view ip, std::int64_t port,
                                             std::string_view scheme) {
  if (port < 1 || port > 65535 || !IpAddress::parse(ip)) return std::nullopt;
  bool v6 = ip.find(':') != std::string_view::npos;
  return std::string(scheme) + "://" + (v6 ? "[" + std::string(ip) + "]" : std::string(ip)) + ":" +
         std::to_string(port);
}

std::string service_options_problem(const std::string& strategy,
                                    const std::optional<StickyCookie>& sticky,
                                    const std::optional<HealthCheck>& health_check) {
  if (strategy != "wrr" && strategy != "p2c") {
    return "strategy '" + strategy + "': expected wrr or p2c";
  }
  if (const auto& h = health_check) {
    if (h->path.empty() || h->path.front() != '/' ||
        h->path.find_first_of(" \r\n") != std::string::npos) {
      return "healthCheck.path '" + h->path + "' must be a path starting with '/'";
    }
    if (h->interval_ms < 100) return "healthCheck.interval must be at least 100ms";
    if (h->timeout_ms < 1 || h->timeout_ms > h->interval_ms) {
      return "healthCheck.timeout must be positive and at most the interval";
    }
    if (h->port > 65535) return "healthCheck.port must be at most 65535";
    if (h->status != 0 && (h->status < 100 || h->status > 599)) {
      return "healthCheck.status must be an HTTP status";
    }
    if (!h->scheme.empty() && h->scheme != "http" && h->scheme != "https") {
      return "healthCheck.scheme '" + h->scheme + "': expected http or https";
    }
    if (h->method.empty() || h->method.find_first_of(" \r\n") != std::string::npos) {
      return "healthCheck.method '" + h->method + "' is not a method";
    }
    for (const auto& [name, value] : h->headers) {
      if (name.empty() || name.find_first_of(" :\r\n") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        return "healthCheck.headers: '" + name + "' is not a header";
      }
    }
  }
  if (!sticky) return {};
  // RFC 6265 cookie-name is an HTTP token.
  for (unsigned char c : sticky->name) {
    if (c <= 32 || c >= 127 ||
        std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) !=
            std::string_view::npos) {
      return "sticky cookie name '" + sticky->name + "' is not a cookie name";
    }
  }
  const auto& ss = sticky->same_site;
  if (!ss.empty() && ss != "none" && ss != "lax" && ss != "strict") {
    return "sticky cookie sameSite '" + ss + "': expected none, lax or strict";
  }
  if (sticky->path.empty() || sticky->path.front() != '/' ||
      sticky->path.find_first_of(";\r\n") != std::string::npos) {
    return "sticky cookie path '" + sticky->path + "' must start with '/'";
  }
  if (sticky->max_age < 0) return "sticky cookie maxAge must not be negative";
  return {};
}

std::string tls_options_problem(const TlsOptions& o) {
  auto version = [](const std::string& v) { return v == "1.2" || v == "1.3"; };
  if (!version(o.min_version)) return "minVersion '" + o.min_version + "': expected 1.2 or 1.3";
  if (!o.max_version.empty() && !version(o.max_version)) {
    return "maxVersion '" + o.max_version + "': expected 1.2 or 1.3";
  }
  if (!o.max_version.empty() && o.max_version < o.min_version) {
    return "maxVersion is below minVersion";
  }
  static const std::set<std::string> kAuth = {"", "request", "require_any", "verify_if_given",
                                              "require_and_verify"};
  if (!kAuth.count(o.client_auth)) return "clientAuthType '" + o.client_auth + "' is not known";
  const bool verifies = o.client_auth == "verify_if_given" || o.client_auth == "require_and_verify";
  if (verifies && o.client_cas.empty()) {
    return "clientAuthType " + o.client_auth + " needs clientAuth.caFiles";
  }
  for (const auto& list : {&o.cipher_suites, &o.curves}) {
    for (const auto& n : *list) {
      if (n.empty() || n.find_first_of(":, ") != std::string::npos)
        return "'" + n + "' is not a name";
    }
  }
  return {};
}

bool is_internal_service(std::string_view kind) {
  return kind == "api" || kind == "dashboard" || kind == "noop" || kind == "ping" ||
         kind == "prometheus";
}

Status validate(const RoutingTable& table) {
  std::set<std::string_view> names;
  for (const auto& e : table.entrypoints) {
    if (e.name.empty()) return Error{"entrypoint with an empty name"};
    if (!names.insert(e.name).second) return Error{"entrypoint '" + e.name + "' is defined twice"};
  }
  names.clear();
  for (const auto& s : table.services) {
    if (s.name.empty()) return Error{"service with an empty name"};
    if (!names.insert(s.name).second) return Error{"service '" + s.name + "' is defined twice"};
    for (const auto& srv : s.servers) {
      if (srv.unresolved) {
        if (!srv.url.empty()) {
          return Error{"service '" + s.name + "': an unresolved server has no url"};
        }
        continue;
      }
      auto addr = parse_server_url(srv.url);
      if (!addr) return Error{"service '" + s.name + "': " + addr.error()};
    }
    if (auto why = service_options_problem(s.strategy, s.sticky, s.health_check); !why.empty()) {
      return Error{"service '" + s.name + "': " + why};
    }
    if (!s.internal.empty() && (!is_internal_service(s.internal) || !s.servers.empty() ||
                                !s.name.ends_with("@internal"))) {
      return Error{"service '" + s.name + "': internal '" + s.internal +
                   "' is not an internal service, or has servers"};
    }
    if (!s.transport.empty() && !table.find_transport(s.transport)) {
      return Error{"service '" + s.name + "' uses servers transport '" + s.transport +
                   "', which is not defined"};
    }
  }
  names.clear();
  for (const auto& t : table.transports) {
    if (t.name.empty()) return Error{"servers transport with an empty name"};
    if (!names.insert(t.name).second) {
      return Error{"servers transport '" + t.name + "' is defined twice"};
    }
    if (t.cert_pem.empty() != t.key_pem.empty()) {
      return Error{"servers transport '" + t.name + "': a client certificate needs its key"};
    }
  }
  names.clear();
  std::map<std::string, middleware_config::Spec> specs;
  for (const auto& m : table.middlewares) {
    if (m.name.empty()) return Error{"middleware with an empty name"};
    auto spec = middleware_config::parse(m.type, m.options);
    if (!spec) return Error{"middleware '" + m.name + "' (" + m.type + "): " + spec.error()};
    if (const auto* errors = std::get_if<middleware_config::Errors>(&*spec)) {
      auto service = middleware_config::qualify_as(errors->service, m.name);
      if (!table.find_service(service)) {
        return Error{"middleware '" + m.name + "' (errors) uses service '" + service +
                     "', which is not defined"};
      }
    }
    if (!specs.emplace(m.name, std::move(*spec)).second) {
      return Error{"middleware '" + m.name + "' is defined twice"};
    }
  }
  auto lookup = [&](const std::string& n) -> const middleware_config::Spec* {
    auto it = specs.find(n);
    return it == specs.end() ? nullptr : &it->second;
  };
  for (const auto& e : table.entrypoints) {
    if (!e.redirect.to.empty() && e.redirect.scheme != "http" && e.redirect.scheme != "https") {
      return Error{"entrypoint '" + e.name + "': redirect scheme must be http or https"};
    }
  }
  names.clear();
  for (const auto& r : table.routers) {
    if (r.name.empty()) return Error{"router with an empty name"};
    if (!names.insert(r.name).second) return Error{"router '" + r.name + "' is defined twice"};
    if (!table.find_service(r.service)) {
      return Error{"router '" + r.name + "' uses service '" + r.service +
                   "', which is not defined"};
    }
    auto parsed = rules::parse(r.rule);
    if (!parsed) return Error{"router '" + r.name + "': " + parsed.error()};
    if (auto chain = middleware_config::expand(r.middlewares, lookup); !chain) {
      return Error{"router '" + r.name + "': " + chain.error()};
    }
    if (!r.tls_options.empty()) {
      bool found = false;
      for (const auto& o : table.tls_options) found = found || o.name == r.tls_options;
      if (!found) {
        return Error{"router '" + r.name + "' uses TLS options '" + r.tls_options +
                     "', which are not defined"};
      }
    }
  }
  names.clear();
  const Certificate* default_cert = nullptr;
  for (const auto& c : table.certificates) {
    if (c.name.empty()) return Error{"certificate with an empty name"};
    if (c.is_default && default_cert) {
      return Error{"certificates '" + default_cert->name + "' and '" + c.name +
                   "' are both the default"};
    }
    if (c.is_default) default_cert = &c;
    if (!names.insert(c.name).second) {
      return Error{"certificate '" + c.name + "' is defined twice"};
    }
    if (c.cert_pem.empty() || c.key_pem.empty()) {
      return Error{"certificate '" + c.name + "': cert_pem and key_pem are required"};
    }
    for (const auto& d : c.domains) {
      if (d.empty() || d.find_first_of(" /`\"") != std::string::npos) {
        return Error{"certificate '" + c.name + "': '" + d + "' is not a domain name"};
      }
    }
  }
  names.clear();
  const TlsOptions* default_options = nullptr;
  for (const auto& o : table.tls_options) {
    if (auto why = tls_options_problem(o); !why.empty()) {
      return Error{"TLS options '" + o.name + "': " + why};
    }
    if (!names.insert(o.name).second)
      return Error{"TLS options '" + o.name + "' are defined twice"};
    if (o.name.starts_with("default@")) {
      if (default_options) {
        return Error{"TLS options '" + default_options->name + "' and '" + o.name +
                     "' are both the default"};
      }
      default_options = &o;
    }
  }
  for (const auto& a : table.acme_challenges) {
    const bool http = !a.token.empty(), alpn = !a.domain.empty();
    if (http == alpn) return Error{"acme challenge: exactly one of token and domain is needed"};
    if (http && (a.key_authorization.empty() ||
                 a.token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789-_") != std::string::npos)) {
      return Error{"acme challenge: token '" + a.token + "' is not a base64url token"};
    }
    if (alpn && (a.cert_pem.empty() || a.key_pem.empty())) {
      return Error{"acme challenge for " + a.domain + ": cert_pem and key_pem are required"};
    }
  }
  return validate_stream_routes(table);
}

}  // namespace wharf::model
