#include "dataplane/admin/api.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <map>

#include "dataplane/metrics/metrics.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "net/openssl_free.hpp"
#include "text/ascii.hpp"
#include "text/split_list.hpp"
#include "text/utc_time.hpp"

namespace wharf::dataplane::admin {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using httpd::AdminRequest;
using httpd::AdminResponse;

void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void put(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}
void strings(Writer& w, std::string_view k, const std::vector<std::string>& v) {
  key(w, k);
  w.StartArray();
  for (const auto& s : v) str(w, s);
  w.EndArray();
}

std::string provider_of(std::string_view name) {
  auto at = name.find('@');
  return at == std::string_view::npos ? std::string() : std::string(name.substr(at + 1));
}

using text::lower;

AdminResponse json(std::string body, unsigned status = 200) {
  return {status, "application/json", std::move(body), {}};
}

AdminResponse not_found(std::string_view what) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  put(w, "message", std::string(what) + " not found");
  w.EndObject();
  return json(b.GetString(), 404);
}

// A page of a list: which items of `total` to write, and the paging headers.
struct Page {
  std::size_t first = 0, last = 0;
  std::vector<std::pair<std::string, std::string>> headers;
};
Page page_of(const AdminRequest& req, std::size_t total) {
  auto number = [&](const char* name, std::size_t fallback, std::size_t max) {
    auto v = httpd::query_param(req.query, name);
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || n == 0) return fallback;
    return std::min(n, max);
  };
  const std::size_t per_page = number("per_page", 100, 1000);
  const std::size_t page = number("page", 1, 1'000'000);
  Page p;
  p.first = std::min(total, (page - 1) * per_page);
  p.last = std::min(total, p.first + per_page);
  p.headers.emplace_back("X-Total-Count", std::to_string(total));
  if (p.last < total) p.headers.emplace_back("X-Next-Page", std::to_string(page + 1));
  return p;
}

bool matches(const std::string& needle, std::initializer_list<std::string_view> fields) {
  if (needle.empty()) return true;
  for (auto f : fields) {
    if (lower(f).find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string timestamp(const ASN1_TIME* t) {
  std::tm tm{};
  return ASN1_TIME_to_tm(t, &tm) == 1 ? text::utc_timestamp(tm) : std::string();
}

std::string timestamp(std::uint64_t unix_seconds) {
  return unix_seconds ? text::utc_timestamp(static_cast<std::int64_t>(unix_seconds)) : "";
}

// A certificate as the API shows it: the table's certificate (read from its leaf) and what
// the controller's ACME resolver knows of it, or that resolver's word alone while it has
// none yet.
struct CertificateView {
  const model::Certificate* cert = nullptr;
  const model::CertificateStatus* acme = nullptr;
  std::string issuer, not_before, not_after;
  bool expired = false;
};

CertificateView view_of(const model::Certificate* c, const model::CertificateStatus* acme) {
  CertificateView v{c, acme, {}, {}, {}, false};
  if (!c) return v;
  std::unique_ptr<BIO, net::OpenSslFree<BIO_free>> bio(
      BIO_new_mem_buf(c->cert_pem.data(), static_cast<int>(c->cert_pem.size())));
  std::unique_ptr<X509, net::OpenSslFree<X509_free>> owned(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  X509* leaf = owned.get();
  if (!leaf) return v;
  // The issuer's common name, as certificate lists show it ("R11", "Pebble Intermediate CA").
  const X509_NAME* issuer = X509_get_issuer_name(leaf);
  for (int nid : {NID_commonName, NID_organizationName}) {
    int at = X509_NAME_get_index_by_NID(issuer, nid, -1);
    if (at < 0) continue;
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(issuer, at));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n >= 0) v.issuer.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
    break;
  }
  v.not_before = timestamp(X509_get0_notBefore(leaf));
  v.not_after = timestamp(X509_get0_notAfter(leaf));
  v.expired = X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0;
  return v;
}

std::vector<CertificateView> certificate_views(const model::RoutingTable& t) {
  std::map<std::string_view, const model::CertificateStatus*> by_certificate;
  std::vector<CertificateView> out;
  for (const auto& s : t.certificate_status) {
    if (!s.certificate.empty()) by_certificate[s.certificate] = &s;
  }
  for (const auto& c : t.certificates) {
    auto s = by_certificate.find(c.name);
    out.push_back(view_of(&c, s == by_certificate.end() ? nullptr : s->second));
  }
  for (const auto& s : t.certificate_status) {
    if (s.certificate.empty()) out.push_back(view_of(nullptr, &s));
  }
  return out;
}

void write_certificate(Writer& w, const CertificateView& v) {
  w.StartObject();
  // A certificate not obtained yet is named as the metrics name it: resolver/domains.
  put(w, "name", v.cert ? v.cert->name : v.acme->resolver + "/" + text::join(v.acme->domains, ","));
  strings(w, "domains", v.cert ? v.cert->domains : v.acme->domains);
  if (v.cert) {
    put(w, "issuer", v.issuer);
    put(w, "notBefore", v.not_before);
    put(w, "notAfter", v.not_after);
    key(w, "default");
    w.Bool(v.cert->is_default);
  }
  // "valid" or "expired" from the certificate itself; an ACME resolver's own word otherwise:
  // "pending" (none yet), "failing" (its last try failed; a certificate it had is still used).
  std::string status = v.expired ? "expired" : "valid";
  if (v.acme && (v.acme->state != "valid" || !v.cert)) status = v.acme->state;
  put(w, "status", status);
  if (v.acme) {
    put(w, "resolver", v.acme->resolver);
    put(w, "router", v.acme->router);
    if (!v.acme->last_error.empty()) put(w, "lastError", v.acme->last_error);
    if (v.acme->renew_at) put(w, "renewAt", timestamp(v.acme->renew_at));
    if (v.acme->retry_at) put(w, "retryAt", timestamp(v.acme->retry_at));
  }
  w.EndObject();
}

// Middleware options as served: values that may be secrets are not.
void middleware_options(Writer& w, const model::Middleware& m) {
  key(w, "options");
  w.StartObject();
  for (const auto& [k, v] : m.options) {
    key(w, k);
    if (k == "users") {
      std::string names;  // "alice:$apr1$..." → "alice"
      std::size_t start = 0;
      while (start < v.size()) {
        auto comma = v.find(',', start);
        auto entry =
            v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        names += (names.empty() ? "" : ",") + entry.substr(0, entry.find(':'));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      str(w, names);
    } else if (k.starts_with("customrequestheaders.") || k == "tls.key") {
      str(w, "REDACTED");
    } else if (k == "tls.ca" || k == "tls.cert") {
      str(w, "(PEM)");
    } else {
      str(w, v);
    }
  }
  w.EndObject();
}

// Requests by the client's protocol, as the metrics label them ("1.1": n, "2": m); protocols
// with none are left out.
void protocols_json(Writer& w, const metrics::Metrics::RouteRequests& requests) {
  key(w, "protocols");
  w.StartObject();
  for (std::size_t p = 0; p < proxy::kProtocols; ++p) {
    if (requests.by_protocol[p] == 0) continue;
    key(w, std::string(proxy::protocol_label(static_cast<proxy::Protocol>(p))).c_str());
    w.Uint64(requests.by_protocol[p]);
  }
  w.EndObject();
}

void router_json(Writer& w, const routing::CompiledRouter& r, const model::Router& src,
                 const metrics::Metrics::RouteRequests& requests) {
  w.StartObject();
  put(w, "name", r.name);
  put(w, "provider", provider_of(r.name));
  put(w, "rule", src.rule);
  key(w, "priority");
  w.Int64(r.priority);
  strings(w, "entryPoints", r.entrypoints);
  put(w, "service", src.service);
  key(w, "tls");
  w.Bool(r.tls);
  strings(w, "middlewares", src.middlewares);
  put(w, "status", "enabled");
  key(w, "requests");
  w.Uint64(requests.total);
  protocols_json(w, requests);
  w.EndObject();
}

void service_json(Writer& w, const routing::CompiledService& s, const model::Service& src,
                  const std::vector<std::string>& used_by) {
  w.StartObject();
  put(w, "name", s.name);
  put(w, "provider", provider_of(s.name));
  put(w, "strategy", src.strategy);
  key(w, "passHostHeader");
  w.Bool(src.pass_host_header);
  if (!src.transport.empty()) put(w, "serversTransport", src.transport);
  if (src.sticky) put(w, "stickyCookie", s.sticky_name);
  if (src.health_check) {
    key(w, "healthCheck");
    w.StartObject();
    put(w, "path", src.health_check->path);
    key(w, "intervalMs");
    w.Uint(src.health_check->interval_ms);
    w.EndObject();
  }
  key(w, "servers");
  w.StartArray();
  auto now = std::chrono::steady_clock::now();
  std::size_t up = 0;
  for (const auto& srv : s.servers) {
    const bool ok = srv.state->available(now) && srv.resolve_error.empty();
    up += ok;
    w.StartObject();
    put(w, "url", srv.url);
    key(w, "weight");
    w.Uint(srv.weight);
    put(w, "status", ok ? "UP" : "DOWN");
    if (!srv.resolve_error.empty()) put(w, "error", srv.resolve_error);
    w.EndObject();
  }
  w.EndArray();
  put(w, "status",
      s.servers.empty()        ? "empty"
      : up == s.servers.size() ? "enabled"
      : up == 0                ? "down"
                               : "degraded");
  strings(w, "usedBy", used_by);
  w.EndObject();
}

template <typename Item, typename Match, typename Write>
AdminResponse list(const AdminRequest& req, const std::vector<Item>& items, Match match,
                   Write write) {
  const std::string needle = lower(httpd::query_param(req.query, "search"));
  std::vector<const Item*> hits;
  for (const auto& i : items) {
    if (match(needle, i)) hits.push_back(&i);
  }
  auto p = page_of(req, hits.size());
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartArray();
  for (std::size_t i = p.first; i < p.last; ++i) write(w, *hits[i]);
  w.EndArray();
  auto r = json(b.GetString());
  r.headers = std::move(p.headers);
  return r;
}

}  // namespace

AdminResponse api(const AdminRequest& req, const ApiState& state) {
  const std::string& path = req.path;
  if (path == "/api/version") {
    rapidjson::StringBuffer b;
    Writer w(b);
    w.StartObject();
    put(w, "version", WHARF_VERSION);
    w.EndObject();
    return json(b.GetString());
  }
  static const model::RoutingTable kEmpty;
  const auto& src = state.table ? state.table->source() : kEmpty;
  std::map<std::uint32_t, metrics::Metrics::RouteRequests> counts;
  if (state.metrics && (path == "/api/http/routers" || path.starts_with("/api/http/routers/") ||
                        path == "/api/overview")) {
    counts = state.metrics->requests_by_route();
  }
  std::map<std::string, const model::Router*> router_src;
  for (const auto& r : src.routers) router_src[r.name] = &r;
  std::map<std::string, const model::Service*> service_src;
  for (const auto& s : src.services) service_src[s.name] = &s;
  std::map<std::string, std::vector<std::string>> used_by;
  for (const auto& r : src.routers) used_by[r.service].push_back(r.name);

  if (path == "/api/overview") {
    rapidjson::StringBuffer b;
    Writer w(b);
    w.StartObject();
    key(w, "tableVersion");
    w.Uint64(src.version);
    metrics::Metrics::RouteRequests requests;
    for (const auto& [route, n] : counts) {
      requests.total += n.total;
      for (std::size_t p = 0; p < proxy::kProtocols; ++p) {
        requests.by_protocol[p] += n.by_protocol[p];
      }
    }
    key(w, "requests");
    w.Uint64(requests.total);
    protocols_json(w, requests);
    auto count = [&](const char* name, std::size_t n) {
      key(w, name);
      w.StartObject();
      key(w, "total");
      w.Uint64(n);
      w.EndObject();
    };
    count("routers", src.routers.size());
    count("middlewares", src.middlewares.size());
    count("certificates", src.certificates.size());
    std::size_t up = 0, down = 0;
    auto now = std::chrono::steady_clock::now();
    if (state.table) {
      for (const auto& s : state.table->services()) {
        for (const auto& srv : s->servers) (srv.state->available(now) ? up : down)++;
      }
    }
    key(w, "services");
    w.StartObject();
    key(w, "total");
    w.Uint64(src.services.size());
    key(w, "serversUp");
    w.Uint64(up);
    key(w, "serversDown");
    w.Uint64(down);
    w.EndObject();
    std::map<std::string, std::size_t> rejected;
    for (const auto& d : src.diagnostics) ++rejected[d.kind];
    key(w, "rejected");
    w.StartObject();
    for (const auto& [kind, n] : rejected) {
      key(w, kind);
      w.Uint64(n);
    }
    w.EndObject();
    w.EndObject();
    return json(b.GetString());
  }
  if (path == "/api/entrypoints") {
    rapidjson::StringBuffer b;
    Writer w(b);
    w.StartArray();
    for (const auto& [name, port] : state.entrypoints) {
      w.StartObject();
      put(w, "name", name);
      key(w, "port");
      w.Uint(port);
      const auto* ep = src.find_entrypoint(name);
      if (ep && !ep->redirect.to.empty()) put(w, "redirectTo", ep->redirect.to);
      w.EndObject();
    }
    w.EndArray();
    return json(b.GetString());
  }
  if (path == "/api/certificates") {
    return list(
        req, certificate_views(src),
        [](const std::string& n, const CertificateView& v) {
          const auto& domains = v.cert ? v.cert->domains : v.acme->domains;
          return matches(
              n, {v.cert ? v.cert->name : v.acme->resolver, text::join(domains, " "), v.issuer,
                  v.acme ? v.acme->state : "", v.acme ? v.acme->last_error : ""});
        },
        write_certificate);
  }
  if (path == "/api/rejected") {
    return list(
        req, src.diagnostics,
        [](const std::string& n, const model::Diagnostic& d) {
          return matches(n, {d.kind, d.name, d.message});
        },
        [](Writer& w, const model::Diagnostic& d) {
          w.StartObject();
          put(w, "kind", d.kind);
          put(w, "name", d.name);
          put(w, "message", d.message);
          w.EndObject();
        });
  }
  static const std::vector<std::unique_ptr<routing::CompiledRouter>> kNoRouters;
  static const std::vector<std::unique_ptr<routing::CompiledService>> kNoServices;
  const auto& routers = state.table ? state.table->routers() : kNoRouters;
  const auto& services = state.table ? state.table->services() : kNoServices;
  auto router_requests = [&](const routing::CompiledRouter& r) {
    auto it = counts.find(r.metrics_route);
    return it == counts.end() ? metrics::Metrics::RouteRequests{} : it->second;
  };
  auto write_router = [&](Writer& w, const std::unique_ptr<routing::CompiledRouter>& r) {
    router_json(w, *r, *router_src.at(r->name), router_requests(*r));
  };
  auto write_service = [&](Writer& w, const std::unique_ptr<routing::CompiledService>& s) {
    service_json(w, *s, *service_src.at(s->name), used_by[s->name]);
  };
  auto one = [&](const auto& items, std::string_view prefix, auto write, const char* what) {
    auto name = httpd::query_param("n=" + path.substr(prefix.size()), "n");
    for (const auto& i : items) {
      if (i->name != name) continue;
      rapidjson::StringBuffer b;
      Writer w(b);
      write(w, i);
      return json(b.GetString());
    }
    return not_found(std::string(what) + " " + name);
  };
  if (path == "/api/http/routers") {
    return list(
        req, routers,
        [&](const std::string& n, const std::unique_ptr<routing::CompiledRouter>& r) {
          return matches(n, {r->name, router_src.at(r->name)->rule, r->service->name});
        },
        write_router);
  }
  if (path.starts_with("/api/http/routers/")) {
    return one(routers, "/api/http/routers/", write_router, "router");
  }
  if (path == "/api/http/services") {
    return list(
        req, services,
        [](const std::string& n, const std::unique_ptr<routing::CompiledService>& s) {
          return matches(n, {s->name});
        },
        write_service);
  }
  if (path.starts_with("/api/http/services/")) {
    return one(services, "/api/http/services/", write_service, "service");
  }
  auto write_middleware = [](Writer& w, const model::Middleware& m) {
    w.StartObject();
    put(w, "name", m.name);
    put(w, "provider", provider_of(m.name));
    put(w, "type", m.type);
    middleware_options(w, m);
    w.EndObject();
  };
  if (path == "/api/http/middlewares") {
    return list(
        req, src.middlewares,
        [](const std::string& n, const model::Middleware& m) {
          return matches(n, {m.name, m.type});
        },
        write_middleware);
  }
  if (path.starts_with("/api/http/middlewares/")) {
    auto name = httpd::query_param("n=" + path.substr(22), "n");
    for (const auto& m : src.middlewares) {
      if (m.name != name) continue;
      rapidjson::StringBuffer b;
      Writer w(b);
      write_middleware(w, m);
      return json(b.GetString());
    }
    return not_found("middleware " + name);
  }
  return not_found("API path " + path);
}

}  // namespace wharf::dataplane::admin
