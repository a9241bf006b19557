#include "controller/kubernetes/nginx/builder.hpp"

#include <numeric>

#include "controller/tls/key_pair.hpp"

namespace wharf::controller::kubernetes::nginx {

// The default-backend annotation's Service, on its first port (ingress-nginx's choice).
std::string Builder::default_backend(const Ingress& ing, const Annotations& a) {
  const std::string name = dotted(ing, "default-backend");
  if (made_.count(name)) return name;
  IngressBackend b;
  b.service = a.default_backend;
  if (const Service* svc = index_.service(ing.meta.ns, a.default_backend);
      svc && !svc->ports.empty()) {
    if (svc->ports.front().name.empty()) {
      b.port_number = svc->ports.front().port;
    } else {
      b.port_name = svc->ports.front().name;
    }
  } else {
    problem("default-backend", Kind::kInvalid,
            "service " + ing.meta.ns + "/" + a.default_backend + " not found or has no port");
  }
  made_[name] = out_.services.size();
  out_.services.push_back(
      backend_service(index_, ing.meta.ns, b, where(ing) + " annotation default-backend", name));
  return name;
}

std::string Builder::scheme(const Annotations& a) const {
  const auto& p = a.backend_protocol;
  if (p == "HTTPS" || p == "GRPCS" || a.ssl_passthrough) return "https";
  if (p == "GRPC" || p == "H2C") return "h2c";
  if (p == "HTTP") return "http";
  return {};  // The Service's own (appProtocol).
}

std::string Builder::service(const Ingress& ing, const Annotations& a, const IngressBackend& b,
                             const std::string& field) {
  const std::string name = dotted(ing, b.service + "." + port_of(b));
  if (made_.count(name)) return name;
  auto s = backend_service(index_, ing.meta.ns, b, where(ing) + " " + field, name, scheme(a));
  if (s.servers.empty() && !a.default_backend.empty()) {
    // "handles the response when the configured service has no active endpoints"
    const auto& fallback = out_.services[made_.at(default_backend(ing, a))];
    s.servers = fallback.servers;
  }
  shape(ing, a, s);
  made_[name] = out_.services.size();
  out_.services.push_back(std::move(s));
  return name;
}

// Timeouts, stickiness, balancing and TLS to the servers.
void Builder::shape(const Ingress& ing, const Annotations& a, model::ConfigService& s) {
  model::ServiceTimeouts t;
  // At least a second, at most 49 days (the milliseconds must fit 32 bits).
  auto ms = [](std::uint32_t seconds) {
    return std::clamp<std::uint32_t>(seconds, 1, 4'000'000) * std::uint32_t{1000};
  };
  t.connect_ms = ms(a.connect_timeout_s.value_or(settings_.connect_timeout_s));
  const std::uint32_t read = ms(a.read_timeout_s.value_or(settings_.read_timeout_s));
  t.response_header_ms = read;
  t.body_idle_ms = read;
  // nginx's read timeout also ends an idle websocket; Wharf keeps its own longer default
  // (an hour) unless the Ingress asks for longer still.
  t.tunnel_idle_ms = std::max(t.tunnel_idle_ms, read);
  s.timeouts = t;
  if (a.affinity) {
    model::StickyCookie c;
    c.name = a.affinity->name;
    c.secure = a.affinity->secure;
    c.http_only = true;
    c.same_site = a.affinity->same_site;
    c.max_age = a.affinity->max_age;
    c.path = a.affinity->path.empty() ? "/" : a.affinity->path;
    // Checked here: a service the compiler rejects would leave its routes to shorter ones.
    if (auto why = model::service_options_problem(s.strategy, c, std::nullopt); !why.empty()) {
      problem("session-cookie-name", Kind::kInvalid, why);
    } else {
      s.sticky = c;
    }
  }
  if (a.load_balance == "ewma") s.strategy = "p2c";
  if (scheme(a) == "https" || a.proxy_ssl) s.transport = transport(ing, a);
}

// TLS to the servers as nginx does it: not verified unless proxy-ssl-verify is on.
std::string Builder::transport(const Ingress& ing, const Annotations& a) {
  const std::string name = dotted(ing, "tls");
  for (const auto& t : out_.transports) {
    if (t.name == name) return name;
  }
  model::ConfigTransport t;
  t.name = name;
  t.source = where(ing);
  t.insecure_skip_verify = !(a.proxy_ssl && a.proxy_ssl->verify);
  t.disable_http2 = a.backend_protocol != "GRPCS";
  if (a.proxy_ssl) {
    t.server_name = a.proxy_ssl->name;
    if (!a.proxy_ssl->secret_name.empty()) {
      const std::string ref = a.proxy_ssl->secret_ns + "/" + a.proxy_ssl->secret_name;
      const Secret* s = index_.secret(a.proxy_ssl->secret_ns, a.proxy_ssl->secret_name);
      if (!s || !s->problem.empty()) {
        problem("proxy-ssl-secret", Kind::kInvalid,
                "secret " + ref + (s ? ": " + s->problem : " not found"));
      } else {
        // Checked here: a bad PEM reaching the data plane would get the whole table refused.
        if (auto ca = s->data.find("ca.crt"); ca != s->data.end()) {
          if (auto ok = tls::check_ca_bundle(ca->second, "ca.crt"); ok) {
            t.root_cas = {ca->second};
          } else {
            problem("proxy-ssl-secret", Kind::kInvalid, "secret " + ref + ": " + ok.error());
          }
        }
        if (!s->tls_crt.empty() || !s->tls_key.empty()) {
          if (auto ok = tls::check_key_pair(s->tls_crt, s->tls_key, "tls.crt", "tls.key"); ok) {
            t.cert_pem = s->tls_crt;
            t.key_pem = s->tls_key;
          } else {
            problem("proxy-ssl-secret", Kind::kInvalid, "secret " + ref + ": " + ok.error());
          }
        }
        if (a.proxy_ssl->verify && t.root_cas.empty()) {
          problem("proxy-ssl-verify", Kind::kInvalid,
                  "secret " + ref + " has no ca.crt to verify the servers with");
        }
      }
    } else if (a.proxy_ssl->verify) {
      problem("proxy-ssl-verify", Kind::kPartly,
              "no proxy-ssl-secret: servers are verified against the system's trust store");
    }
  }
  out_.transports.push_back(std::move(t));
  return name;
}

// One service whose servers are both services' servers, weighted so that `weight` of every
// `total` requests reach the canary (smooth weighted round robin makes that exact).
std::string Builder::weighted(const std::string& main, const std::string& canary,
                              std::uint64_t weight, std::uint64_t total) {
  const std::string name = main + "+canary";
  if (made_.count(name)) return name;
  model::ConfigService s = out_.services[made_.at(main)];
  const auto& c = out_.services[made_.at(canary)];
  s.name = name;
  const std::uint64_t nm = std::max<std::size_t>(s.servers.size(), 1);
  const std::uint64_t nc = std::max<std::size_t>(c.servers.size(), 1);
  std::uint64_t wm = (total - weight) * nc, wc = weight * nm;
  const std::uint64_t g = std::gcd(wm, wc);
  if (g > 0) wm /= g, wc /= g;
  if (weight >= total || s.servers.empty()) s.servers.clear();
  for (auto& server : s.servers) server.weight = static_cast<std::uint32_t>(wm);
  if (weight < total && c.servers.empty()) {
    // A canary without endpoints takes no share (its requests would all fail).
  } else {
    for (auto server : c.servers) {
      server.weight = static_cast<std::uint32_t>(weight >= total ? 1 : wc);
      s.servers.push_back(server);
    }
  }
  s.errors.insert(s.errors.end(), c.errors.begin(), c.errors.end());
  made_[name] = out_.services.size();
  out_.services.push_back(std::move(s));
  return name;
}

}  // namespace wharf::controller::kubernetes::nginx
