#include "ipc/messages.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace wharf::ipc {
namespace {

using model::Error;
using model::Result;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Value = rapidjson::Value;

// ---- encoding ----

void put(Writer& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

void put_pairs(Writer& w, const char* key,
               const std::vector<std::pair<std::string, std::string>>& pairs) {
  w.Key(key);
  w.StartObject();
  for (const auto& [k, v] : pairs) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
}

void put_strings(Writer& w, const char* key, const std::vector<std::string>& v) {
  w.Key(key);
  w.StartArray();
  for (const auto& s : v) w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
}

void write_table(Writer& w, const model::RoutingTable& t) {
  w.StartObject();
  w.Key("version");
  w.Uint64(t.version);
  w.Key("entrypoints");
  w.StartArray();
  for (const auto& e : t.entrypoints) {
    w.StartObject();
    put(w, "name", e.name);
    w.Key("timeouts");
    w.StartObject();
    w.Key("read_header_ms");
    w.Uint(e.timeouts.read_header_ms);
    w.Key("idle_ms");
    w.Uint(e.timeouts.idle_ms);
    w.Key("body_idle_ms");
    w.Uint(e.timeouts.body_idle_ms);
    w.EndObject();
    if (!e.redirect.to.empty()) {
      w.Key("redirect");
      w.StartObject();
      put(w, "to", e.redirect.to);
      put(w, "scheme", e.redirect.scheme);
      w.Key("permanent");
      w.Bool(e.redirect.permanent);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("routers");
  w.StartArray();
  for (const auto& r : t.routers) {
    w.StartObject();
    put(w, "name", r.name);
    put(w, "rule", r.rule);
    w.Key("priority");
    w.Int64(r.priority);
    put_strings(w, "entrypoints", r.entrypoints);
    put(w, "service", r.service);
    w.Key("tls");
    w.Bool(r.tls);
    put_strings(w, "middlewares", r.middlewares);
    if (!r.tls_options.empty()) put(w, "tls_options", r.tls_options);
    w.EndObject();
  }
  w.EndArray();
  w.Key("services");
  w.StartArray();
  for (const auto& s : t.services) {
    w.StartObject();
    put(w, "name", s.name);
    w.Key("servers");
    w.StartArray();
    for (const auto& srv : s.servers) {
      w.StartObject();
      put(w, "url", srv.url);
      w.Key("weight");
      w.Uint(srv.weight);
      if (srv.unresolved) {
        w.Key("unresolved");
        w.Bool(true);
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("pass_host_header");
    w.Bool(s.pass_host_header);
    w.Key("timeouts");
    w.StartObject();
    w.Key("connect_ms");
    w.Uint(s.timeouts.connect_ms);
    w.Key("response_header_ms");
    w.Uint(s.timeouts.response_header_ms);
    w.Key("body_idle_ms");
    w.Uint(s.timeouts.body_idle_ms);
    w.Key("tunnel_idle_ms");
    w.Uint(s.timeouts.tunnel_idle_ms);
    w.EndObject();
    put(w, "strategy", s.strategy);
    if (!s.internal.empty()) put(w, "internal", s.internal);
    if (const auto& h = s.health_check) {
      w.Key("health_check");
      w.StartObject();
      put(w, "path", h->path);
      put(w, "method", h->method);
      w.Key("interval_ms");
      w.Uint(h->interval_ms);
      w.Key("timeout_ms");
      w.Uint(h->timeout_ms);
      put(w, "hostname", h->hostname);
      w.Key("port");
      w.Uint(h->port);
      put_pairs(w, "headers", h->headers);
      w.Key("status");
      w.Uint(h->status);
      if (!h->scheme.empty()) put(w, "scheme", h->scheme);
      w.EndObject();
    }
    if (!s.transport.empty()) put(w, "transport", s.transport);
    if (s.sticky) {
      const auto& c = *s.sticky;
      w.Key("sticky");
      w.StartObject();
      w.Key("cookie");
      w.StartObject();
      put(w, "name", c.name);
      w.Key("secure");
      w.Bool(c.secure);
      w.Key("http_only");
      w.Bool(c.http_only);
      put(w, "same_site", c.same_site);
      w.Key("max_age");
      w.Int64(c.max_age);
      put(w, "path", c.path);
      w.EndObject();
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("middlewares");
  w.StartArray();
  for (const auto& m : t.middlewares) {
    w.StartObject();
    put(w, "name", m.name);
    put(w, "type", m.type);
    put_pairs(w, "options", m.options);
    w.EndObject();
  }
  w.EndArray();
  w.Key("certificates");
  w.StartArray();
  for (const auto& c : t.certificates) {
    w.StartObject();
    put(w, "name", c.name);
    put_strings(w, "domains", c.domains);
    put(w, "cert_pem", c.cert_pem);
    put(w, "key_pem", c.key_pem);
    w.Key("default");
    w.Bool(c.is_default);
    w.EndObject();
  }
  w.EndArray();
  w.Key("transports");
  w.StartArray();
  for (const auto& tr : t.transports) {
    w.StartObject();
    put(w, "name", tr.name);
    put(w, "server_name", tr.server_name);
    w.Key("insecure_skip_verify");
    w.Bool(tr.insecure_skip_verify);
    put_strings(w, "root_cas", tr.root_cas);
    put(w, "cert_pem", tr.cert_pem);
    put(w, "key_pem", tr.key_pem);
    w.Key("disable_http2");
    w.Bool(tr.disable_http2);
    w.EndObject();
  }
  w.EndArray();
  if (!t.tls_options.empty()) {
    w.Key("tls_options");
    w.StartArray();
    for (const auto& o : t.tls_options) {
      w.StartObject();
      put(w, "name", o.name);
      put(w, "min_version", o.min_version);
      put(w, "max_version", o.max_version);
      put_strings(w, "cipher_suites", o.cipher_suites);
      put_strings(w, "curves", o.curves);
      w.Key("sni_strict");
      w.Bool(o.sni_strict);
      put(w, "client_auth", o.client_auth);
      put_strings(w, "client_cas", o.client_cas);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!t.acme_challenges.empty()) {
    w.Key("acme_challenges");
    w.StartArray();
    for (const auto& a : t.acme_challenges) {
      w.StartObject();
      if (!a.token.empty()) {
        put(w, "token", a.token);
        put(w, "key_authorization", a.key_authorization);
      } else {
        put(w, "domain", a.domain);
        put(w, "cert_pem", a.cert_pem);
        put(w, "key_pem", a.key_pem);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  if (!t.certificate_status.empty()) {
    w.Key("certificate_status");
    w.StartArray();
    for (const auto& c : t.certificate_status) {
      w.StartObject();
      put(w, "resolver", c.resolver);
      put_strings(w, "domains", c.domains);
      put(w, "router", c.router);
      put(w, "certificate", c.certificate);
      put(w, "state", c.state);
      put(w, "last_error", c.last_error);
      w.Key("renew_at");
      w.Uint64(c.renew_at);
      w.Key("retry_at");
      w.Uint64(c.retry_at);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("diagnostics");
  w.StartArray();
  for (const auto& d : t.diagnostics) {
    w.StartObject();
    put(w, "kind", d.kind);
    put(w, "name", d.name);
    put(w, "message", d.message);
    if (d.warning) {
      w.Key("warning");
      w.Bool(true);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// ---- decoding: every error names the JSON path of the offending field ----

class Reader {
 public:
  std::string error;

  bool object(const Value& v, const std::string& path) {
    if (v.IsObject()) return true;
    return fail(path, "expected an object");
  }

  bool string(const Value& obj, const char* key, const std::string& path, std::string& out,
              bool required) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return !required || fail(path + "." + key, "is required");
    if (!it->value.IsString()) return fail(path + "." + key, "expected a string");
    out.assign(it->value.GetString(), it->value.GetStringLength());
    return true;
  }

  template <typename T>
  bool number(const Value& obj, const char* key, const std::string& path, T& out) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return true;
    const Value& v = it->value;
    if constexpr (std::is_same_v<T, std::int64_t>) {
      if (v.IsInt64()) return out = v.GetInt64(), true;
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
      if (v.IsUint64()) return out = v.GetUint64(), true;
    } else {
      if (v.IsUint()) return out = v.GetUint(), true;
    }
    return fail(path + "." + key, "expected a non-negative integer in range");
  }

  bool boolean(const Value& obj, const char* key, const std::string& path, bool& out) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return true;
    if (!it->value.IsBool()) return fail(path + "." + key, "expected true or false");
    out = it->value.GetBool();
    return true;
  }

  bool strings(const Value& obj, const char* key, const std::string& path,
               std::vector<std::string>& out) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return true;
    if (!it->value.IsArray()) return fail(path + "." + key, "expected an array of strings");
    for (const auto& s : it->value.GetArray()) {
      if (!s.IsString()) return fail(path + "." + key, "expected an array of strings");
      out.emplace_back(s.GetString(), s.GetStringLength());
    }
    return true;
  }

  // An optional object of string values, in order.
  bool pairs(const Value& obj, const char* key, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return true;
    if (!it->value.IsObject()) return fail(path + "." + key, "expected an object of strings");
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      if (!m->value.IsString()) {
        return fail(path + "." + key + "." + m->name.GetString(), "expected a string");
      }
      out.emplace_back(std::string(m->name.GetString(), m->name.GetStringLength()),
                       std::string(m->value.GetString(), m->value.GetStringLength()));
    }
    return true;
  }

  // Calls f(element, path) for each element of an optional array member.
  template <typename F>
  bool each(const Value& obj, const char* key, const std::string& path, F&& f) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return true;
    if (!it->value.IsArray()) return fail(path + "." + key, "expected an array");
    rapidjson::SizeType i = 0;
    for (const auto& e : it->value.GetArray()) {
      std::string p = path + "." + key + "[" + std::to_string(i++) + "]";
      if (!object(e, p) || !f(e, p)) return false;
    }
    return true;
  }

  // An optional nested object.
  template <typename F>
  bool nested(const Value& obj, const char* key, const std::string& path, F&& f) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return true;
    std::string p = path + "." + key;
    return object(it->value, p) && f(it->value, p);
  }

  bool fail(const std::string& path, const std::string& why) {
    error = path + ": " + why;
    return false;
  }
};

bool read_table(Reader& r, const Value& v, const std::string& path, model::RoutingTable& t) {
  if (!r.object(v, path)) return false;
  return r.number(v, "version", path, t.version) &&
         r.each(v, "entrypoints", path,
                [&](const Value& e, const std::string& p) {
                  auto& ep = t.entrypoints.emplace_back();
                  return r.string(e, "name", p, ep.name, true) &&
                         r.nested(e, "timeouts", p,
                                  [&](const Value& o, const std::string& q) {
                                    return r.number(o, "read_header_ms", q,
                                                    ep.timeouts.read_header_ms) &&
                                           r.number(o, "idle_ms", q, ep.timeouts.idle_ms) &&
                                           r.number(o, "body_idle_ms", q, ep.timeouts.body_idle_ms);
                                  }) &&
                         r.nested(e, "redirect", p, [&](const Value& o, const std::string& q) {
                           return r.string(o, "to", q, ep.redirect.to, true) &&
                                  r.string(o, "scheme", q, ep.redirect.scheme, false) &&
                                  r.boolean(o, "permanent", q, ep.redirect.permanent);
                         });
                }) &&
         r.each(v, "routers", path,
                [&](const Value& e, const std::string& p) {
                  auto& rt = t.routers.emplace_back();
                  return r.string(e, "name", p, rt.name, true) &&
                         r.string(e, "rule", p, rt.rule, true) &&
                         r.number(e, "priority", p, rt.priority) &&
                         r.strings(e, "entrypoints", p, rt.entrypoints) &&
                         r.string(e, "service", p, rt.service, true) &&
                         r.boolean(e, "tls", p, rt.tls) &&
                         r.strings(e, "middlewares", p, rt.middlewares) &&
                         r.string(e, "tls_options", p, rt.tls_options, false);
                }) &&
         r.each(v, "services", path,
                [&](const Value& e, const std::string& p) {
                  auto& s = t.services.emplace_back();
                  return r.string(e, "name", p, s.name, true) &&
                         r.each(e, "servers", p,
                                [&](const Value& sv, const std::string& q) {
                                  auto& srv = s.servers.emplace_back();
                                  return r.string(sv, "url", q, srv.url, false) &&
                                         r.number(sv, "weight", q, srv.weight) &&
                                         r.boolean(sv, "unresolved", q, srv.unresolved);
                                }) &&
                         r.boolean(e, "pass_host_header", p, s.pass_host_header) &&
                         r.nested(e, "timeouts", p,
                                  [&](const Value& o, const std::string& q) {
                                    auto& to = s.timeouts;
                                    return r.number(o, "connect_ms", q, to.connect_ms) &&
                                           r.number(o, "response_header_ms", q,
                                                    to.response_header_ms) &&
                                           r.number(o, "body_idle_ms", q, to.body_idle_ms) &&
                                           r.number(o, "tunnel_idle_ms", q, to.tunnel_idle_ms);
                                  }) &&
                         r.string(e, "strategy", p, s.strategy, false) &&
                         r.string(e, "internal", p, s.internal, false) &&
                         r.string(e, "transport", p, s.transport, false) &&
                         r.nested(e, "health_check", p,
                                  [&](const Value& o, const std::string& q) {
                                    auto& h = s.health_check.emplace();
                                    return r.string(o, "path", q, h.path, true) &&
                                           r.string(o, "method", q, h.method, false) &&
                                           r.number(o, "interval_ms", q, h.interval_ms) &&
                                           r.number(o, "timeout_ms", q, h.timeout_ms) &&
                                           r.string(o, "hostname", q, h.hostname, false) &&
                                           r.number(o, "port", q, h.port) &&
                                           r.pairs(o, "headers", q, h.headers) &&
                                           r.number(o, "status", q, h.status) &&
                                           r.string(o, "scheme", q, h.scheme, false);
                                  }) &&
                         r.nested(e, "sticky", p, [&](const Value& st, const std::string& q) {
                           return r.nested(
                               st, "cookie", q, [&](const Value& c, const std::string& cq) {
                                 auto& k = s.sticky.emplace();
                                 return r.string(c, "name", cq, k.name, false) &&
                                        r.boolean(c, "secure", cq, k.secure) &&
                                        r.boolean(c, "http_only", cq, k.http_only) &&
                                        r.string(c, "same_site", cq, k.same_site, false) &&
                                        r.number(c, "max_age", cq, k.max_age) &&
                                        r.string(c, "path", cq, k.path, false);
                               });
                         });
                }) &&
         r.each(v, "middlewares", path,
                [&](const Value& e, const std::string& p) {
                  auto& m = t.middlewares.emplace_back();
                  return r.string(e, "name", p, m.name, true) &&
                         r.string(e, "type", p, m.type, true) &&
                         r.pairs(e, "options", p, m.options);
                }) &&
         r.each(v, "certificates", path,
                [&](const Value& e, const std::string& p) {
                  auto& c = t.certificates.emplace_back();
                  return r.string(e, "name", p, c.name, true) &&
                         r.strings(e, "domains", p, c.domains) &&
                         r.string(e, "cert_pem", p, c.cert_pem, true) &&
                         r.string(e, "key_pem", p, c.key_pem, true) &&
                         r.boolean(e, "default", p, c.is_default);
                }) &&
         r.each(v, "transports", path,
                [&](const Value& e, const std::string& p) {
                  auto& tr = t.transports.emplace_back();
                  return r.string(e, "name", p, tr.name, true) &&
                         r.string(e, "server_name", p, tr.server_name, false) &&
                         r.boolean(e, "insecure_skip_verify", p, tr.insecure_skip_verify) &&
                         r.strings(e, "root_cas", p, tr.root_cas) &&
                         r.string(e, "cert_pem", p, tr.cert_pem, false) &&
                         r.string(e, "key_pem", p, tr.key_pem, false) &&
                         r.boolean(e, "disable_http2", p, tr.disable_http2);
                }) &&
         r.each(v, "tls_options", path,
                [&](const Value& e, const std::string& p) {
                  auto& o = t.tls_options.emplace_back();
                  return r.string(e, "name", p, o.name, true) &&
                         r.string(e, "min_version", p, o.min_version, false) &&
                         r.string(e, "max_version", p, o.max_version, false) &&
                         r.strings(e, "cipher_suites", p, o.cipher_suites) &&
                         r.strings(e, "curves", p, o.curves) &&
                         r.boolean(e, "sni_strict", p, o.sni_strict) &&
                         r.string(e, "client_auth", p, o.client_auth, false) &&
                         r.strings(e, "client_cas", p, o.client_cas);
                }) &&
         r.each(v, "acme_challenges", path,
                [&](const Value& e, const std::string& p) {
                  auto& a = t.acme_challenges.emplace_back();
                  return r.string(e, "token", p, a.token, false) &&
                         r.string(e, "key_authorization", p, a.key_authorization, false) &&
                         r.string(e, "domain", p, a.domain, false) &&
                         r.string(e, "cert_pem", p, a.cert_pem, false) &&
                         r.string(e, "key_pem", p, a.key_pem, false);
                }) &&
         r.each(v, "certificate_status", path,
                [&](const Value& e, const std::string& p) {
                  auto& c = t.certificate_status.emplace_back();
                  return r.string(e, "resolver", p, c.resolver, true) &&
                         r.strings(e, "domains", p, c.domains) &&
                         r.string(e, "router", p, c.router, false) &&
                         r.string(e, "certificate", p, c.certificate, false) &&
                         r.string(e, "state", p, c.state, true) &&
                         r.string(e, "last_error", p, c.last_error, false) &&
                         r.number(e, "renew_at", p, c.renew_at) &&
                         r.number(e, "retry_at", p, c.retry_at);
                }) &&
         r.each(v, "diagnostics", path, [&](const Value& e, const std::string& p) {
           auto& d = t.diagnostics.emplace_back();
           return r.string(e, "kind", p, d.kind, true) && r.string(e, "name", p, d.name, true) &&
                  r.string(e, "message", p, d.message, true) &&
                  r.boolean(e, "warning", p, d.warning);
         });
}

Result<rapidjson::Document> parse_json(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return Error{"invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                 rapidjson::GetParseError_En(doc.GetParseError())};
  }
  return doc;
}

}  // namespace

std::string encode(const Message& message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  if (const auto* a = std::get_if<Apply>(&message)) {
    put(w, "type", "apply");
    w.Key("version");
    w.Uint64(a->version);
    w.Key("table");
    write_table(w, a->table);
  } else if (const auto* k = std::get_if<Ack>(&message)) {
    put(w, "type", "ack");
    w.Key("version");
    w.Uint64(k->version);
  } else {
    const auto& n = std::get<Nack>(message);
    put(w, "type", "nack");
    w.Key("version");
    w.Uint64(n.version);
    put(w, "reason", n.reason);
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

Result<Message> decode(std::string_view json) {
  auto doc = parse_json(json);
  if (!doc) return Error{doc.error()};
  Reader r;
  std::string type;
  std::uint64_t version = 0;
  if (!r.object(*doc, "$") || !r.string(*doc, "type", "$", type, true) ||
      !r.number(*doc, "version", "$", version)) {
    return Error{r.error};
  }
  if (type == "ack") return Message{Ack{version}};
  if (type == "nack") {
    Nack n{version, {}};
    if (!r.string(*doc, "reason", "$", n.reason, false)) return Error{r.error};
    return Message{std::move(n)};
  }
  if (type == "apply") {
    Apply a{version, {}};
    const Value& root = *doc;  // Const iterators: clang rejects RapidJSON's mixed == in C++20.
    auto it = root.FindMember("table");
    if (it == root.MemberEnd()) return Error{"$.table: is required"};
    if (!read_table(r, it->value, "$.table", a.table)) return Error{r.error};
    a.table.version = version;
    return Message{std::move(a)};
  }
  return Error{"$.type: unknown message type '" + type + "' (expected apply, ack or nack)"};
}

std::string encode_table(const model::RoutingTable& table) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  write_table(w, table);
  return {buf.GetString(), buf.GetSize()};
}

Result<model::RoutingTable> decode_table(std::string_view json) {
  auto doc = parse_json(json);
  if (!doc) return Error{doc.error()};
  Reader r;
  model::RoutingTable t;
  if (!read_table(r, *doc, "$", t)) return Error{r.error};
  return t;
}

}  // namespace wharf::ipc
