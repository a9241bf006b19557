#include "config/static_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/document.hpp"
#include "config/section.hpp"
#include "text/duration.hpp"
#include "text/split_list.hpp"

namespace wharf::config {
namespace {

using detail::Context;
using detail::lower;
using detail::Section;

bool parse_address(std::string_view text, StaticEntryPoint& ep, std::string& why) {
  std::string_view addr = text;
  if (auto slash = addr.rfind('/'); slash != std::string_view::npos) {
    auto proto = lower(std::string(addr.substr(slash + 1)));
    ep.udp = proto == "udp";
    if (proto != "tcp" && proto != "udp") {
      why = "unknown protocol '" + proto + "' (tcp or udp)";
      return false;
    }
    addr = addr.substr(0, slash);
  }
  auto colon = addr.rfind(':');
  if (colon == std::string_view::npos) {
    why = "expected [HOST]:PORT, such as :443";
    return false;
  }
  auto host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto digits = addr.substr(colon + 1);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || p != digits.data() + digits.size() || port > 65535) {
    why = "bad port '" + std::string(digits) + "'";
    return false;
  }
  ep.host = std::string(host);
  ep.port = static_cast<std::uint16_t>(port);
  return true;
}

// forwardedHeaders or proxyProtocol: `trustedIPs` (a list of addresses and CIDRs) and
// `insecure` (every peer). False when neither is given.
bool read_trusted(Section& s, std::optional<std::vector<model::Cidr>>& out) {
  bool insecure = false;
  const bool given_insecure = s.boolean("insecure", "insecure", insecure);
  std::vector<std::string> ips;
  const bool given_ips = s.list("trustedips", "trustedIPs", ips);
  if (given_ips) {
    auto cidrs = model::parse_cidr_list(text::join(ips, ","));
    if (!cidrs) {
      s.error(s.take("trustedips"), s.full("trustedIPs") + ": " + cidrs.error());
    } else {
      out = std::move(*cidrs);
    }
  }
  if (insecure) out = *model::parse_cidr_list("0.0.0.0/0,::/0");
  return given_insecure || given_ips;
}

void read_entrypoint_http(Section& http, StaticEntryPoint& ep, const std::set<std::string>& names) {
  {
    auto redirections = http.sub("redirections", "redirections");
    auto to_ep = redirections.sub("entrypoint", "entryPoint");
    if (to_ep.present()) {
      to_ep.string("to", "to", ep.redirect.to);
      std::string scheme = "https";
      to_ep.string("scheme", "scheme", scheme);
      ep.redirect.scheme = scheme;
      to_ep.boolean("permanent", "permanent", ep.redirect.permanent);
      to_ep.ignore("priority", "priority",
                   "the redirection runs before routing, as with Traefik's default priority");
      if (ep.redirect.to.empty()) {
        to_ep.error(to_ep.take("to"), to_ep.full("to") + ": the target entry point is missing");
      } else if (!ep.redirect.to.starts_with(":") && !names.count(ep.redirect.to)) {
        // Traefik logs this and serves the entry point without the redirection: so does Wharf.
        to_ep.warn(to_ep.take("to"), to_ep.full("to") + ": no entry point is named '" +
                                         ep.redirect.to + "'; the redirection is left out");
        ep.redirect.to.clear();
      }
    }
  }
  http.list("middlewares", "middlewares", ep.middlewares);
  auto tls_node = http.take("tls");
  if (tls_node) {
    ep.tls = true;
    Section tls(tls_node, http.full("tls"), http.ctx());
    tls.string("certresolver", "certResolver", ep.cert_resolver);
    tls.string("options", "options", ep.tls_options);
    auto domains = tls.take("domains");
    if (domains && domains.IsSequence()) {
      std::size_t i = 0;
      for (const auto& d : domains) {
        Section one(d, tls.full("domains[" + std::to_string(i++) + "]"), http.ctx());
        std::vector<std::string> names(1);
        one.string("main", "main", names[0]);
        std::vector<std::string> sans;
        one.list("sans", "sans", sans);
        names.insert(names.end(), sans.begin(), sans.end());
        if (names[0].empty()) names.erase(names.begin());
        if (!names.empty()) ep.tls_domains.push_back(std::move(names));
      }
    } else if (domains && !domains.IsNull()) {
      tls.error(domains, tls.full("domains") + ": expected a list of {main, sans}");
    }
  }
  http.ignore("encodequerysemicolons", "encodeQuerySemicolons",
              "queries are passed on as received");
  http.ignore("sanitizepath", "sanitizePath",
              "Wharf always matches on the normalized path and forwards the path as received");
  http.ignore("maxheaderbytes", "maxHeaderBytes",
              "request heads are limited to 64 KiB on every entry point");
  http.ignore("encodedcharacters", "encodedCharacters",
              "encoded characters in paths are passed on as received");
}

void read_entrypoints(Section& root, StaticConfig& out) {
  auto section = root.sub("entrypoints", "entryPoints");
  const auto all = section.entries();
  std::set<std::string> names;
  for (const auto& [name, node] : all) names.insert(name);
  for (const auto& [name, node] : all) {
    Section e(node, section.full(name), section.ctx());
    StaticEntryPoint ep;
    ep.name = name;
    ep.source = section.ctx().where.source(node);
    std::string address;
    if (!e.string("address", "address", address)) {
      e.error(node, e.path() + ": the address is missing (such as :443)");
      continue;
    }
    std::string why;
    if (!parse_address(address, ep, why)) {
      e.error(e.take("address"), e.full("address") + " '" + address + "': " + why);
      continue;
    }
    e.boolean("asdefault", "asDefault", ep.as_default);
    {
      auto fh = e.sub("forwardedheaders", "forwardedHeaders");
      read_trusted(fh, ep.trusted_ips);
      fh.ignore("connection", "connection",
                "Wharf removes the hop-by-hop headers a trusted peer lists");
      auto pp = e.sub("proxyprotocol", "proxyProtocol");
      if (!read_trusted(pp, ep.proxy_protocol_ips) && pp.present()) {
        pp.error(pp.node(), pp.path() +
                                ": trustedIPs or insecure is needed (which peers may "
                                "send a PROXY header)");
      }
      auto udp = e.sub("udp", "udp");
      udp.duration("timeout", "timeout", ep.udp_timeout_ms);
      if (udp.present() && !ep.udp) {
        udp.warn(udp.node(), udp.path() +
                                 ": the entry point is not a UDP one (address :PORT/udp); "
                                 "ignored");
      }
    }
    {
      auto transport = e.sub("transport", "transport");
      auto responding = transport.sub("respondingtimeouts", "respondingTimeouts");
      responding.duration("readtimeout", "readTimeout", ep.read_timeout_ms);
      responding.duration("writetimeout", "writeTimeout", ep.write_timeout_ms);
      responding.duration("idletimeout", "idleTimeout", ep.idle_timeout_ms);
      auto life = transport.sub("lifecycle", "lifeCycle");
      life.duration("gracetimeout", "graceTimeOut", ep.grace_timeout_ms);
      life.ignore("requestacceptgracetimeout", "requestAcceptGraceTimeout",
                  "on SIGTERM Wharf stops accepting at once and drains");
      transport.ignore("keepalivemaxrequests", "keepAliveMaxRequests",
                       "keep-alive connections are bounded by the idle timeout");
      transport.ignore("keepalivemaxtime", "keepAliveMaxTime",
                       "keep-alive connections are bounded by the idle timeout");
    }
    {
      auto http = e.sub("http", "http");
      read_entrypoint_http(http, ep, names);
    }
    {
      auto h2 = e.sub("http2", "http2");
      std::string streams;
      if (h2.string("maxconcurrentstreams", "maxConcurrentStreams", streams)) {
        unsigned n = 0;
        auto [p, ec] = std::from_chars(streams.data(), streams.data() + streams.size(), n);
        if (ec != std::errc{} || p != streams.data() + streams.size() || n == 0 || n > 100'000) {
          h2.error(h2.take("maxconcurrentstreams"),
                   h2.full("maxConcurrentStreams") + ": expected a number from 1 to 100000");
        } else {
          ep.http2_max_streams = n;
        }
      }
    }
    e.ignore("http3", "http3", "HTTP/3 is not supported yet; clients use HTTP/2 or HTTP/1.1");
    e.ignore("observability", "observability",
             "every router is logged and measured (see the access log and metrics flags)");
    e.ignore("allowacmebypass", "allowACMEByPass",
             "ACME challenges are always answered before routing");
    e.ignore("reuseport", "reusePort", "each entry point is one listening socket");
    out.entrypoints.push_back(std::move(ep));
  }
}

void read_providers(Section& root, StaticConfig& out) {
  auto providers = root.sub("providers", "providers");
  providers.duration("providersthrottleduration", "providersThrottleDuration",
                     out.providers_throttle_ms);
  auto docker_node = providers.take("docker");
  if (docker_node) {
    out.docker.enabled = true;
    Section d(docker_node, providers.full("docker"), providers.ctx());
    d.string("endpoint", "endpoint", out.docker.endpoint);
    d.boolean("exposedbydefault", "exposedByDefault", out.docker.exposed_by_default);
    d.string("network", "network", out.docker.network);
    d.string("defaultrule", "defaultRule", out.docker.default_rule);
    d.string("constraints", "constraints", out.docker.constraints);
    if (d.boolean("watch", "watch", out.docker.watch) && !out.docker.watch) {
      d.warn(d.key_node("watch"),
             d.full("watch") + ": false ignored: Wharf always follows Docker's events");
    }
    d.ignore("usebindportip", "useBindPortIP",
             "containers are reached on their network address (or 127.0.0.1 with host networking)");
    d.ignore("allowemptyservices", "allowEmptyServices",
             "a container without a server keeps its routers, which answer 503");
    d.ignore("httpclienttimeout", "httpClientTimeout", "the Docker API is watched with events");
    d.ignore("tls", "tls", "reach a TLS Docker API through a local socket proxy");
    d.ignore("username", "username", "not needed for a local socket");
    d.ignore("password", "password", "not needed for a local socket");
  }
  auto file_node = providers.take("file");
  if (file_node) {
    Section f(file_node, providers.full("file"), providers.ctx());
    std::string filename, directory;
    f.string("filename", "filename", filename);
    f.string("directory", "directory", directory);
    if (f.boolean("watch", "watch", out.file_watch) && !out.file_watch) {
      f.warn(f.key_node("watch"),
             f.full("watch") + ": false ignored: Wharf always watches the files for changes");
    }
    f.ignore("debugloggeneratedtemplate", "debugLogGeneratedTemplate",
             "Go templates are not expanded");
    if (!filename.empty() && !directory.empty()) {
      f.error(file_node, f.path() + ": filename and directory are exclusive, as in Traefik");
    }
    out.file_provider = filename.empty() ? directory : filename;
  }
  providers.ignore("swarm", "swarm", "Docker Swarm services are not supported");
  providers.ignore("kubernetesingress", "kubernetesIngress",
                   "Wharf's Kubernetes provider reads Ingresses of class wharf (--kubeconfig, "
                   "--ingress-class)");
  providers.ignore("kubernetesingressnginx", "kubernetesIngressNGINX",
                   "the ingress-nginx class is served with the controller's --ingress-nginx flags "
                   "(docs/migrating.md, From ingress-nginx)");
  providers.ignore("kubernetescrd", "kubernetesCRD",
                   "IngressRoute and the other Traefik CRDs are not supported; use Ingresses");
  providers.ignore("kubernetesgateway", "kubernetesGateway",
                   "the Gateway API is not supported yet");
  for (const char* other : {"rest", "http", "consul", "consulcatalog", "etcd", "redis", "zookeeper",
                            "nomad", "ecs", "plugin"}) {
    providers.ignore(other, other, "this provider is not supported");
  }
}

void read_resolvers(Section& root, StaticConfig& out) {
  auto section = root.sub("certificatesresolvers", "certificatesResolvers");
  for (auto& [name, node] : section.entries()) {
    Section r(node, section.full(name), section.ctx());
    auto acme_node = r.take("acme");
    if (!acme_node) {
      r.error(node, r.path() + ": only acme resolvers exist");
      continue;
    }
    Section acme(acme_node, r.full("acme"), r.ctx());
    const std::string prefix = "certificatesresolvers." + name + ".acme.";
    auto flag = [&](const char* key, const char* shown) {
      std::string v;
      if (acme.string(key, shown, v)) out.resolver_flags.emplace_back(prefix + key, v);
    };
    flag("email", "email");
    flag("caserver", "caServer");
    flag("storage", "storage");
    std::string key_type;
    if (acme.string("keytype", "keyType", key_type) && lower(key_type) != "ec256") {
      acme.warn(acme.take("keytype"), acme.full("keyType") + ": " + key_type +
                                          " ignored: Wharf's keys are EC256 (P-256)");
    }
    auto http = acme.take("httpchallenge");
    if (http) {
      Section h(http, acme.full("httpChallenge"), acme.ctx());
      std::string ep;
      h.string("entrypoint", "entryPoint", ep);
      h.ignore("delay", "delay", "the challenge is answered as soon as it is asked");
      out.resolver_flags.emplace_back(prefix + "httpchallenge", "true");
    }
    if (acme.take("tlschallenge")) out.resolver_flags.emplace_back(prefix + "tlschallenge", "true");
    auto dns = acme.take("dnschallenge");
    std::string provider;
    if (dns && dns.IsMap() && dns["provider"]) provider = lower(dns["provider"].Scalar());
    if (dns && (provider == "rfc2136" || provider == "httpreq" || provider == "cloudflare")) {
      // The providers Wharf has: the same options as flags (their credentials come from the
      // environment, as with Traefik).
      Section d(dns, acme.full("dnsChallenge"), acme.ctx());
      std::string v;
      d.string("provider", "provider", v);
      out.resolver_flags.emplace_back(prefix + "dnschallenge.provider", provider);
      std::vector<std::string> resolvers;
      if (d.list("resolvers", "resolvers", resolvers)) {
        std::string joined;
        for (const auto& each : resolvers) joined += (joined.empty() ? "" : ",") + each;
        out.resolver_flags.emplace_back(prefix + "dnschallenge.resolvers", joined);
      }
      std::optional<std::uint32_t> delay;
      if (d.duration("delaybeforecheck", "delayBeforeCheck", delay) && delay) {
        out.resolver_flags.emplace_back(prefix + "dnschallenge.delaybeforecheck",
                                        std::to_string(*delay / 1000) + "s");
      }
      bool off = false;
      if (d.boolean("disablepropagationcheck", "disablePropagationCheck", off)) {
        out.resolver_flags.emplace_back(prefix + "dnschallenge.propagation.disablechecks",
                                        off ? "true" : "false");
      }
      Section prop = d.sub("propagation", "propagation");
      if (prop.duration("delaybeforechecks", "delayBeforeChecks", delay) && delay) {
        out.resolver_flags.emplace_back(prefix + "dnschallenge.propagation.delaybeforechecks",
                                        std::to_string(*delay / 1000) + "s");
      }
      for (auto [key, shown] : {std::pair{"disablechecks", "disableChecks"},
                                std::pair{"disableanschecks", "disableANSChecks"},
                                std::pair{"requireallrns", "requireAllRNS"}}) {
        if (prop.boolean(key, shown, off)) {
          out.resolver_flags.emplace_back(prefix + "dnschallenge.propagation." + key,
                                          off ? "true" : "false");
        }
      }
    } else if (dns) {
      acme.warn(acme.key_node("dnschallenge"),
                acme.full("dnsChallenge") + ": the DNS-01 provider '" + provider +
                    "' is not supported yet (rfc2136, cloudflare and httpreq are): resolver " +
                    name +
                    " obtains no certificate and its routers are served with the other "
                    "certificates (or the default one)");
      // Nothing of the resolver is passed on: it has no challenge Wharf can answer.
      out.resolver_flags.erase(
          std::remove_if(out.resolver_flags.begin(), out.resolver_flags.end(),
                         [&](const auto& kv) { return kv.first.starts_with(prefix); }),
          out.resolver_flags.end());
      acme.entries();
      continue;
    }
    acme.ignore("certificatesduration", "certificatesDuration",
                "certificates are renewed when a third of their lifetime is left");
    acme.ignore("preferredchain", "preferredChain", "the CA's default chain is used");
    acme.ignore("eab", "eab", "external account binding is not supported");
    acme.ignore("profile", "profile", "the CA's default profile is used");
    acme.ignore("emailaddresses", "emailAddresses", "the account uses email alone");
    acme.ignore("disablecommonname", "disableCommonName", "");
  }
}

void read_servers_transport(Section& root, StaticConfig& out) {
  auto node = root.take("serverstransport");
  if (node) out.servers_transport = RawSection{node, root.ctx().where};
}

void read_observability(Section& root, StaticConfig& out) {
  {
    auto log = root.sub("log", "log");
    std::string level;
    if (log.string("level", "level", level)) {
      level = lower(level);
      if (level == "warning") level = "warn";
      if (level == "trace") level = "debug";
      if (level == "fatal" || level == "panic") level = "error";
      if (level != "debug" && level != "info" && level != "warn" && level != "error") {
        log.error(log.take("level"), log.full("level") + ": expected DEBUG, INFO, WARN or ERROR");
      } else {
        out.log_level = level;
      }
    }
    for (const char* k :
         {"format", "filepath", "nocolor", "maxsize", "maxage", "maxbackups", "compress"}) {
      log.ignore(k, k, "the controller logs to standard error");
    }
  }
  {
    auto node = root.take("accesslog");
    if (node) {
      out.access_log = true;
      Section al(node, "accessLog", root.ctx());
      al.string("filepath", "filePath", out.access_log_path);
      std::string format;
      if (al.string("format", "format", format)) {
        format = lower(format);
        if (format == "json") {
          out.access_log_json = true;
        } else if (format != "common" && format != "genericclf") {
          al.error(al.take("format"), al.full("format") + ": expected common or json");
        }
      }
      al.ignore("bufferingsize", "bufferingSize", "lines are queued (--access-log-queue)");
      al.ignore("filters", "filters", "every request is logged");
      al.ignore("fields", "fields",
                "Wharf's fields are fixed; secrets in queries are always redacted");
      al.ignore("addinternals", "addInternals", "");
    }
  }
  {
    auto metrics = root.sub("metrics", "metrics");
    auto prom = metrics.sub("prometheus", "prometheus");
    out.prometheus = prom.present() || metrics.key_node("prometheus");
    std::vector<std::string> buckets;
    if (prom.list("buckets", "buckets", buckets)) {
      for (const auto& b : buckets) {
        double v = 0;
        auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), v);
        if (ec != std::errc{} || p != b.data() + b.size() || !(v > 0) ||
            (!out.metrics_buckets.empty() && v <= out.metrics_buckets.back())) {
          prom.error(prom.take("buckets"),
                     prom.full("buckets") + ": expected increasing positive numbers of seconds");
          out.metrics_buckets.clear();
          break;
        }
        out.metrics_buckets.push_back(v);
      }
    }
    for (const char* k : {"addentrypointslabels", "addrouterslabels", "addserviceslabels",
                          "entrypoint", "manualrouting", "headerlabels"}) {
      prom.ignore(k, k,
                  "metrics are served on the admin address's /metrics with entrypoint, router "
                  "and service labels");
    }
    for (const char* k : {"datadog", "statsd", "influxdb2", "otlp"}) {
      metrics.ignore(k, k, "only Prometheus metrics are served");
    }
    metrics.ignore("addinternals", "addInternals", "");
  }
  if (auto ping = root.take("ping")) {
    out.ping = true;
    Section p(ping, "ping", root.ctx());
    for (const char* k : {"entrypoint", "manualrouting", "terminatingstatuscode"}) {
      p.ignore(k, k,
               "the admin address serves /healthz and /readyz; route ping@internal to answer "
               "elsewhere");
    }
  }
  root.ignore("tracing", "tracing", "tracing is not supported yet; request ids are logged");
}

}  // namespace

std::vector<std::string> StaticConfig::default_entrypoints() const {
  std::vector<std::string> marked, all;
  for (const auto& e : entrypoints) {
    if (e.udp) continue;
    all.push_back(e.name);
    if (e.as_default) marked.push_back(e.name);
  }
  return marked.empty() ? all : marked;
}

model::Result<StaticConfig> read_static_config(std::string_view text, std::string_view name) {
  auto doc = parse(text, name, format_of(name));
  if (!doc) return model::Error{doc.error()};
  StaticConfig out;
  out.file = std::string(name);
  if (doc->root && !doc->root.IsNull() && !doc->root.IsMap()) {
    return model::Error{std::string(name) + ": expected a mapping at the top"};
  }
  Context ctx{doc->where, out.warnings, {}};
  {
    Section root(doc->root, "", ctx);
    read_entrypoints(root, out);
    read_providers(root, out);
    read_resolvers(root, out);
    read_servers_transport(root, out);
    {
      auto api_node = root.take("api");
      if (api_node) {
        out.api = true;
        out.api_dashboard = true;  // Traefik's default once `api` is there.
        Section api(api_node, "api", ctx);
        api.boolean("dashboard", "dashboard", out.api_dashboard);
        api.ignore("insecure", "insecure",
                   "the API and dashboard are on the data plane's admin address (--admin-address, "
                   "default :8082); route api@internal to publish them through a router");
        api.ignore("debug", "debug", "no debug endpoints are served");
        api.ignore("basepath", "basePath", "the API is served under /api");
        api.ignore("disabledashboardad", "disableDashboardAd", "");
      }
    }
    read_observability(root, out);
    root.ignore("global", "global", "Wharf does not call home");
    root.ignore("tcpserverstransport", "tcpServersTransport", "TCP routing is not supported yet");
    root.ignore("hostresolver", "hostResolver", "server names are resolved by the system");
    root.ignore("experimental", "experimental", "plugins are not supported");
    root.ignore("spiffe", "spiffe", "SPIFFE is not supported");
    root.ignore("ocsp", "ocsp", "OCSP stapling is not supported yet");
    {
      auto core = root.sub("core", "core");
      std::string syntax;
      if (core.string("defaultrulesyntax", "defaultRuleSyntax", syntax) && lower(syntax) == "v2") {
        core.warn(core.take("defaultrulesyntax"),
                  "core.defaultRuleSyntax: v2 ignored: rules are read in Traefik v3's syntax "
                  "(which also takes v2's several values per matcher)");
      }
    }
  }
  // In the order of the file: "name:LINE: ..." sorted by LINE.
  auto line_of = [&](const std::string& w) {
    return std::atoi(w.c_str() + std::min(w.size(), out.file.size() + 1));
  };
  std::stable_sort(out.warnings.begin(), out.warnings.end(),
                   [&](const auto& a, const auto& b) { return line_of(a) < line_of(b); });
  // Everything warned about is in `out.warnings`; the errors stop the start, as a bad flag does.
  if (!ctx.errors.empty()) {
    std::string all;
    for (const auto& e : ctx.errors) all += (all.empty() ? "" : "\n") + e;
    return model::Error{all};
  }
  return out;
}

model::Result<StaticConfig> load_static_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return model::Error{path + ": cannot be read"};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return model::Error{path + ": read error"};
  return read_static_config(text.str(), path);
}

}  // namespace wharf::config
