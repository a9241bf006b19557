#pragma once

// The routing table's wire schema: one declaration of each model type's JSON fields, in the
// order they are written. The encoder, the decoder (which names the path of a bad field) and
// the test that holds docs/routing-table.md to these fields all visit the same declarations,
// so a field added here is written, read and documented, or a test says which is missing.
//
// A visitor `v` offers:
//   v.field(key, member, use)         a string, number, bool, list of strings or string pairs
//   v.object(key, member[, written])  a nested struct, always there (written: whether to write it)
//   v.optional(key, member[, inner])  a std::optional struct, as {key: {...}} or
//                                     {key: {inner: {...}}}
//   v.list(key, member, use)          a list of structs
// Each overload of `fields` takes the object non-const; the encoder only reads it.

#include "model/routing_table.hpp"

namespace wharf::ipc::schema {

enum class Use {
  kRequired,  // Written always; the decoder refuses an object without it.
  kAlways,    // Written always; missing on read keeps the model's default.
  kNonEmpty,  // Written only when not empty (false, 0); missing on read keeps the default.
};
constexpr Use kRequired = Use::kRequired, kAlways = Use::kAlways, kNonEmpty = Use::kNonEmpty;

template <typename V>
void fields(V& v, model::EntryPointTimeouts& t) {
  v.field("read_header_ms", t.read_header_ms, kAlways);
  v.field("idle_ms", t.idle_ms, kAlways);
  v.field("body_idle_ms", t.body_idle_ms, kAlways);
}

template <typename V>
void fields(V& v, model::EntryPointRedirect& r) {
  v.field("to", r.to, kRequired);
  v.field("scheme", r.scheme, kAlways);
  v.field("permanent", r.permanent, kAlways);
}

template <typename V>
void fields(V& v, model::EntryPoint& e) {
  v.field("name", e.name, kRequired);
  v.object("timeouts", e.timeouts);
  v.object("redirect", e.redirect, !e.redirect.to.empty());
}

template <typename V>
void fields(V& v, model::Router& r) {
  v.field("name", r.name, kRequired);
  v.field("rule", r.rule, kRequired);
  v.field("priority", r.priority, kAlways);
  v.field("entrypoints", r.entrypoints, kAlways);
  v.field("service", r.service, kRequired);
  v.field("tls", r.tls, kAlways);
  v.field("middlewares", r.middlewares, kAlways);
  v.field("tls_options", r.tls_options, kNonEmpty);
}

template <typename V>
void fields(V& v, model::Server& s) {
  v.field("url", s.url, kAlways);  // Empty for an unresolved backend.
  v.field("weight", s.weight, kAlways);
  v.field("unresolved", s.unresolved, kNonEmpty);
}

template <typename V>
void fields(V& v, model::ServiceTimeouts& t) {
  v.field("connect_ms", t.connect_ms, kAlways);
  v.field("response_header_ms", t.response_header_ms, kAlways);
  v.field("body_idle_ms", t.body_idle_ms, kAlways);
  v.field("tunnel_idle_ms", t.tunnel_idle_ms, kAlways);
}

template <typename V>
void fields(V& v, model::HealthCheck& h) {
  v.field("path", h.path, kRequired);
  v.field("method", h.method, kAlways);
  v.field("interval_ms", h.interval_ms, kAlways);
  v.field("timeout_ms", h.timeout_ms, kAlways);
  v.field("hostname", h.hostname, kAlways);
  v.field("port", h.port, kAlways);
  v.field("headers", h.headers, kAlways);
  v.field("status", h.status, kAlways);
  v.field("scheme", h.scheme, kNonEmpty);
}

template <typename V>
void fields(V& v, model::StickyCookie& c) {
  v.field("name", c.name, kAlways);
  v.field("secure", c.secure, kAlways);
  v.field("http_only", c.http_only, kAlways);
  v.field("same_site", c.same_site, kAlways);
  v.field("max_age", c.max_age, kAlways);
  v.field("path", c.path, kAlways);
}

template <typename V>
void fields(V& v, model::Service& s) {
  v.field("name", s.name, kRequired);
  v.list("servers", s.servers, kAlways);
  v.field("pass_host_header", s.pass_host_header, kAlways);
  v.object("timeouts", s.timeouts);
  v.field("strategy", s.strategy, kAlways);
  v.field("internal", s.internal, kNonEmpty);
  v.optional("health_check", s.health_check);
  v.field("transport", s.transport, kNonEmpty);
  v.optional("sticky", s.sticky, "cookie");  // Traefik's nesting: sticky.cookie.
}

template <typename V>
void fields(V& v, model::Middleware& m) {
  v.field("name", m.name, kRequired);
  v.field("type", m.type, kRequired);
  v.field("options", m.options, kAlways);
}

template <typename V>
void fields(V& v, model::Certificate& c) {
  v.field("name", c.name, kRequired);
  v.field("domains", c.domains, kAlways);
  v.field("cert_pem", c.cert_pem, kRequired);
  v.field("key_pem", c.key_pem, kRequired);
  v.field("default", c.is_default, kAlways);
}

template <typename V>
void fields(V& v, model::ServersTransport& t) {
  v.field("name", t.name, kRequired);
  v.field("server_name", t.server_name, kAlways);
  v.field("insecure_skip_verify", t.insecure_skip_verify, kAlways);
  v.field("root_cas", t.root_cas, kAlways);
  v.field("cert_pem", t.cert_pem, kAlways);
  v.field("key_pem", t.key_pem, kAlways);
  v.field("disable_http2", t.disable_http2, kAlways);
}

template <typename V>
void fields(V& v, model::TlsOptions& o) {
  v.field("name", o.name, kRequired);
  v.field("min_version", o.min_version, kAlways);
  v.field("max_version", o.max_version, kAlways);
  v.field("cipher_suites", o.cipher_suites, kAlways);
  v.field("curves", o.curves, kAlways);
  v.field("sni_strict", o.sni_strict, kAlways);
  v.field("client_auth", o.client_auth, kAlways);
  v.field("client_cas", o.client_cas, kAlways);
}

// HTTP-01 has token and key_authorization, TLS-ALPN-01 domain and the PEMs (model::validate
// wants exactly one of the two).
template <typename V>
void fields(V& v, model::AcmeChallenge& a) {
  v.field("token", a.token, kNonEmpty);
  v.field("key_authorization", a.key_authorization, kNonEmpty);
  v.field("domain", a.domain, kNonEmpty);
  v.field("cert_pem", a.cert_pem, kNonEmpty);
  v.field("key_pem", a.key_pem, kNonEmpty);
}

template <typename V>
void fields(V& v, model::CertificateStatus& c) {
  v.field("resolver", c.resolver, kRequired);
  v.field("domains", c.domains, kAlways);
  v.field("router", c.router, kAlways);
  v.field("certificate", c.certificate, kAlways);
  v.field("state", c.state, kRequired);
  v.field("last_error", c.last_error, kAlways);
  v.field("renew_at", c.renew_at, kAlways);
  v.field("retry_at", c.retry_at, kAlways);
}

template <typename V>
void fields(V& v, model::Diagnostic& d) {
  v.field("kind", d.kind, kRequired);
  v.field("name", d.name, kRequired);
  v.field("message", d.message, kRequired);
  v.field("warning", d.warning, kNonEmpty);
}

template <typename V>
void fields(V& v, model::TcpRouter& r) {
  v.field("name", r.name, kRequired);
  v.field("rule", r.rule, kRequired);
  v.field("priority", r.priority, kAlways);
  v.field("entrypoints", r.entrypoints, kAlways);
  v.field("service", r.service, kRequired);
  v.field("tls", r.tls, kNonEmpty);
  v.field("tls_options", r.tls_options, kNonEmpty);
}

template <typename V>
void fields(V& v, model::StreamServer& s) {
  v.field("address", s.address, kRequired);
  v.field("weight", s.weight, kAlways);
}

template <typename V>
void fields(V& v, model::TcpService& s) {
  v.field("name", s.name, kRequired);
  v.list("servers", s.servers, kAlways);
  v.field("proxy_protocol", s.proxy_protocol, kNonEmpty);
  v.field("connect_ms", s.connect_ms, kAlways);
}

template <typename V>
void fields(V& v, model::UdpRouter& r) {
  v.field("name", r.name, kRequired);
  v.field("entrypoints", r.entrypoints, kAlways);
  v.field("service", r.service, kRequired);
}

template <typename V>
void fields(V& v, model::UdpService& s) {
  v.field("name", s.name, kRequired);
  v.list("servers", s.servers, kAlways);
}

template <typename V>
void fields(V& v, model::RoutingTable& t) {
  v.field("version", t.version, kAlways);
  v.list("entrypoints", t.entrypoints, kAlways);
  v.list("routers", t.routers, kAlways);
  v.list("services", t.services, kAlways);
  v.list("middlewares", t.middlewares, kAlways);
  v.list("certificates", t.certificates, kAlways);
  v.list("transports", t.transports, kAlways);
  v.list("tls_options", t.tls_options, kNonEmpty);
  v.list("acme_challenges", t.acme_challenges, kNonEmpty);
  v.list("certificate_status", t.certificate_status, kNonEmpty);
  v.list("tcp_routers", t.tcp_routers, kNonEmpty);
  v.list("tcp_services", t.tcp_services, kNonEmpty);
  v.list("udp_routers", t.udp_routers, kNonEmpty);
  v.list("udp_services", t.udp_services, kNonEmpty);
  v.list("diagnostics", t.diagnostics, kAlways);
}

}  // namespace wharf::ipc::schema
