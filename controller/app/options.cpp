#include "controller/app/options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <random>
#include <set>

#include "cli/flags.hpp"
#include "config/static_config.hpp"
#include "controller/acme/resolver_options.hpp"
#include "controller/app/static_options.hpp"
#include "controller/docker/engine_client.hpp"
#include "controller/docker/labels.hpp"
#include "log/log.hpp"
#include "text/split_list.hpp"

namespace wharf::controller {
namespace {

using model::Error;
using model::Result;
using model::Status;

Result<std::chrono::milliseconds> parse_ms(const std::string& flag, const std::string& v,
                                           unsigned scale, unsigned max) {
  unsigned n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p != v.data() + v.size() || n > max) {
    return Error{flag + " '" + v + "': expected a number from 0 to " + std::to_string(max)};
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(n) * scale);
}

// "15s", "500ms", "2m", as Kubernetes components spell durations.
Result<std::chrono::milliseconds> parse_duration(const std::string& flag, const std::string& v) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  std::string_view unit(p, static_cast<std::size_t>(v.data() + v.size() - p));
  std::int64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : 0;
  if (ec != std::errc{} || n <= 0 || scale == 0 || n > 86'400'000 / scale) {
    return Error{flag + " '" + v + "': expected a duration such as 15s, 500ms or 2m"};
  }
  return std::chrono::milliseconds(n * scale);
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "wharf";
  return buf;
}

// Leader election needs names that default sensibly in a pod and outside one.
Status finish_election(kubernetes::KubeOptions& k, const kubernetes::ClusterConfig& c) {
  auto& e = k.election;
  if (e.lease_namespace.empty())
    e.lease_namespace = c.default_namespace.empty() ? "default" : c.default_namespace;
  if (e.lease_name.empty()) e.lease_name = "wharf-" + k.ingress.ingress_class + "-leader";
  if (e.identity.empty()) {
    // Unique even for two replicas on one host (client-go appends a UUID the same way).
    std::random_device rd;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "_%08x", rd());
    e.identity = host_name() + suffix;
  }
  if (e.renew_deadline >= e.lease_duration) {
    return Error{
        "--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration"};
  }
  if (e.retry_period * 6 / 5 >= e.renew_deadline) {
    return Error{
        "--leader-elect-retry-period (plus 20% jitter) must be shorter than "
        "--leader-elect-renew-deadline"};
  }
  const auto& p = k.status.publish_service;
  auto slash = p.find('/');
  if (!p.empty() && (slash == 0 || slash == std::string::npos || slash + 1 == p.size() ||
                     p.find('/', slash + 1) != std::string::npos)) {
    return Error{"--publish-service '" + p + "': expected NAMESPACE/NAME"};
  }
  return model::kOk;
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

const char* options_help() {
  return R"(Usage: wharf-controller [flags]

Discovers routes (Docker container labels, Kubernetes Ingresses, a Traefik dynamic configuration
file), compiles them into one routing table and pushes it to wharf-dataplane over its control socket. Every flag can
also be set with an environment variable, e.g. --file → WHARF_FILE.

  --configfile PATH               Traefik's static configuration (traefik.yml or .toml), the same
                                  file the data plane reads: entry points (names, http.tls,
                                  http.middlewares, redirections, timeouts), providers.docker,
                                  providers.file, certificatesResolvers, serversTransport, log;
                                  flags given as well win; keys Wharf does not take are warnings
  --control-socket PATH           the data plane's control socket (default /run/wharf/control.sock)
  --docker-endpoint URL|off       Docker Engine API: unix:///path or tcp://host:port (default:
                                  unix:///var/run/docker.sock when that socket exists)
  --docker-label-prefixes LIST    label prefixes read, first wins (default wharf; add traefik to
                                  use existing Traefik labels unchanged)
  --docker-exposed-by-default     route containers without <prefix>.enable=true too
  --docker-network NAME           network to reach containers on when they have several
  --docker-default-rule TEMPLATE  rule of routers without one (default Host(`{{ normalize .Name }}`))
  --docker-constraints EXPR       route only containers whose labels match, in Traefik's syntax:
                                  Label(`k`,`v`), LabelRegex(`k`,`re`), &&, ||, !, ( )
  --file PATH|off                 Traefik v3 dynamic configuration: a YAML or TOML file, or a
                                  directory of them (subdirectories too), watched for changes
  --kubeconfig PATH|off           Kubernetes API credentials (default: the pod's service account
                                  when running in a pod; off turns Kubernetes off)
  --ingress-class NAME            class name matched by kubernetes.io/ingress.class (default wharf);
                                  IngressClasses with controller wharf.dev/ingress-controller are ours
  --watch-ingress-without-class   also take Ingresses that name no class
  --ingress-nginx                 also serve the ingress-nginx class, its nginx.ingress.kubernetes.io
                                  annotations translated (docs/migrating.md): IngressClasses with
                                  controller k8s.io/ingress-nginx, and the class below
  --ingress-nginx-class NAME      that class's name, also when its IngressClass is gone (default nginx)
  --ingress-nginx-without-class   take Ingresses that name no class as the nginx class
  --ingress-nginx-configmap NS/NAME  ingress-nginx's ConfigMap: its defaults (proxy-body-size...)
  --ingress-nginx-status          write status.loadBalancer of nginx-class Ingresses too (off while
                                  ingress-nginx still runs beside Wharf)
  --gateway-api                   also serve the Gateway API (docs/gateway-api.md): GatewayClasses
                                  with controllerName wharf.dev/gateway-controller, their Gateways,
                                  HTTPRoutes, GRPCRoutes, ReferenceGrants (the CRDs must be installed)
  --gateway-entrypoint PORT=NAME  the entrypoint serving Gateway listeners on PORT, repeatable
                                  (default 80=web and 443=websecure)
  --namespace NS                  watch one namespace only (default: all)
  --publish-service NS/NAME       write this Service's load-balancer addresses to the status of
                                  our Ingresses (usually the Service in front of the data plane)
  --publish-address LIST          or write these IPs / host names instead
  --leader-elect-resource-name N  the Lease replicas elect a status writer on
                                  (default wharf-<ingress class>-leader)
  --leader-elect-resource-namespace NS  its namespace (default: the pod's, else default)
  --leader-elect-identity ID      this replica's name in the Lease (default: host name + random)
  --leader-elect-lease-duration D, --leader-elect-renew-deadline D, --leader-elect-retry-period D
                                  client-go's timings (default 15s, 10s, 2s)
  --entrypoint-redirect FROM=TO   redirect every plain-HTTP request on entrypoint FROM to https on
                                  entrypoint TO (a name, or :PORT), keeping host, path and query;
                                  301, 308 for methods other than GET/HEAD. Repeatable, e.g.
                                  web=websecure (Traefik: entryPoints.web.http.redirections)
  --certificatesresolvers.NAME.acme.OPTION=VALUE
                                  Traefik's ACME resolvers: email, storage (a directory, default
                                  /var/lib/wharf/acme, or secret:[NAMESPACE/]NAME for a
                                  Kubernetes Secret), caServer, httpChallenge.entryPoint,
                                  tlsChallenge=true; routers name one with tls.certresolver
  --acme-ca-certificates PATH     extra CAs the ACME server's HTTPS is verified against (also
                                  LEGO_CA_CERTIFICATES)
  --metrics-address [HOST]:PORT   /metrics, /healthz and /readyz (default :8083; off disables)
  --throttle MS                   fold provider changes for this long before compiling (default 100)
  --initial-sync-timeout SECONDS  publish without a provider that has not synced by then
                                  (default 30; the data plane serves its saved table meanwhile)
  --log-level LEVEL               debug, info, warn or error (default info)
  --check                         validate every enabled provider once, print the compiled table,
                                  every rejected object and every warning; exit 1 if anything
                                  was rejected
  --strict                        with --check: exit 1 on warnings too
  --help, --version
)";
}

Result<Options> parse_options(int argc, const char* const* argv, char** envp,
                              const std::string& default_docker_socket) {
  auto flags = cli::collect_flags(argc, argv, envp,
                                  {{"--configfile"},
                                   {"--configFile"},
                                   {"--control-socket"},
                                   {"--docker-endpoint"},
                                   {"--docker-label-prefixes"},
                                   {"--docker-exposed-by-default", false},
                                   {"--docker-network"},
                                   {"--docker-default-rule"},
                                   {"--docker-constraints"},
                                   {"--file"},
                                   {"--kubeconfig"},
                                   {"--ingress-class"},
                                   {"--watch-ingress-without-class", false},
                                   {"--ingress-nginx", false},
                                   {"--ingress-nginx-class"},
                                   {"--ingress-nginx-without-class", false},
                                   {"--ingress-nginx-configmap"},
                                   {"--ingress-nginx-status", false},
                                   {"--gateway-api", false},
                                   {"--gateway-entrypoint", true, true},
                                   {"--namespace"},
                                   {"--publish-service"},
                                   {"--publish-address"},
                                   {"--leader-elect-resource-name"},
                                   {"--leader-elect-resource-namespace"},
                                   {"--leader-elect-identity"},
                                   {"--leader-elect-lease-duration"},
                                   {"--leader-elect-renew-deadline"},
                                   {"--leader-elect-retry-period"},
                                   {"--entrypoint-redirect", true, true},
                                   {"--throttle"},
                                   {"--metrics-address"},
                                   {"--initial-sync-timeout"},
                                   {"--log-level"},
                                   {"--check", false},
                                   {"--strict", false},
                                   {"--certificatesresolvers.", true, false, true},
                                   {"--acme-ca-certificates"}});
  if (!flags) return Error{flags.error()};
  bool in_pod = false;
  for (char** e = envp; e && *e; ++e)
    in_pod = in_pod || std::string_view(*e).starts_with("KUBERNETES_SERVICE_HOST=");
  Options o;
  if (flags->count("--help") || flags->count("--version")) {
    o.show_help = flags->count("--help") > 0;
    o.show_version = !o.show_help;
    return o;
  }
  bool docker_given = false;
  std::optional<config::StaticConfig> static_config;
  for (const char* flag : {"--configfile", "--configFile"}) {
    auto it = flags->find(flag);
    if (it == flags->end()) continue;
    o.configfile = it->second.back();
    auto sc = config::load_static_config(o.configfile);
    if (!sc) return Error{"--configfile: " + sc.error()};
    if (auto ok = apply_static(*sc, *flags, o); !ok) return Error{ok.error()};
    docker_given = true;  // The file decides about Docker (or the flag does): no socket probe.
    static_config = std::move(*sc);
  }
  add_internal_services(static_config ? &*static_config : nullptr, o);
  std::string kubeconfig;
  std::set<std::string> redirected;
  for (const auto& [name, vals] : *flags) {
    const std::string& v = vals.back();
    if (name.starts_with("--certificatesresolvers.") || name == "--acme-ca-certificates" ||
        name == "--configfile" || name == "--configFile") {
      continue;  // Read together below, or above.
    }
    if (name == "--control-socket") {
      o.control_socket = v;
    } else if (name == "--docker-endpoint") {
      docker_given = true;
      if (v != "off") {
        if (auto ep = docker::parse_endpoint(v); !ep) return Error{ep.error()};
        o.docker_endpoint = v;
      }
    } else if (name == "--docker-label-prefixes") {
      o.docker.label_prefixes = text::split_list(v);
      if (o.docker.label_prefixes.empty()) return Error{"--docker-label-prefixes: empty list"};
    } else if (name == "--docker-exposed-by-default" || name == "--check" || name == "--strict" ||
               name == "--watch-ingress-without-class" || name == "--ingress-nginx" ||
               name == "--ingress-nginx-without-class" || name == "--ingress-nginx-status" ||
               name == "--gateway-api") {
      auto b = docker::parse_bool(v);
      if (!b) return Error{name + " '" + v + "': " + b.error()};
      auto& nginx = o.kube_options.ingress.nginx;
      if (name == "--check")
        o.check = *b;
      else if (name == "--strict")
        o.strict = *b;
      else if (name == "--docker-exposed-by-default")
        o.docker.exposed_by_default = *b;
      else if (name == "--ingress-nginx")
        nginx.enabled = *b;
      else if (name == "--ingress-nginx-without-class")
        nginx.without_class = *b;
      else if (name == "--ingress-nginx-status")
        nginx.write_status = *b;
      else if (name == "--gateway-api")
        o.kube_options.gateway.enabled = *b;
      else
        o.kube_options.ingress.watch_without_class = *b;
    } else if (name == "--ingress-nginx-class") {
      o.kube_options.ingress.nginx.ingress_class = v;
    } else if (name == "--ingress-nginx-configmap") {
      if (v.find('/') == std::string::npos || v.front() == '/' || v.back() == '/') {
        return Error{"--ingress-nginx-configmap '" + v + "': expected NAMESPACE/NAME"};
      }
      o.kube_options.ingress.nginx.configmap = v;
    } else if (name == "--kubeconfig") {
      kubeconfig = v;
    } else if (name == "--ingress-class") {
      o.kube_options.ingress.ingress_class = v;
    } else if (name == "--namespace") {
      o.kube_options.namespace_ = v;
    } else if (name == "--publish-service") {
      o.kube_options.status.publish_service = v;
    } else if (name == "--publish-address") {
      o.kube_options.status.publish_addresses = text::split_list(v);
    } else if (name == "--leader-elect-resource-name") {
      o.kube_options.election.lease_name = v;
    } else if (name == "--leader-elect-resource-namespace") {
      o.kube_options.election.lease_namespace = v;
    } else if (name == "--leader-elect-identity") {
      o.kube_options.election.identity = v;
    } else if (name.starts_with("--leader-elect-")) {
      auto d = parse_duration(name, v);
      if (!d) return Error{d.error()};
      auto& e = o.kube_options.election;
      (name == "--leader-elect-lease-duration"   ? e.lease_duration
       : name == "--leader-elect-renew-deadline" ? e.renew_deadline
                                                 : e.retry_period) = *d;
    } else if (name == "--docker-network") {
      o.docker.network = v;
    } else if (name == "--docker-default-rule") {
      // Expanded once here so a broken template stops the start instead of every router.
      auto probe = docker::expand_default_rule(v, "probe", {});
      if (!probe) return Error{"--docker-default-rule: " + probe.error()};
      o.docker.default_rule = v;
    } else if (name == "--docker-constraints") {
      if (auto ok = docker::set_constraints(o.docker, v); !ok) {
        return Error{"--docker-constraints: " + ok.error()};
      }
    } else if (name == "--file") {
      o.file = v == "off" ? "" : v;
    } else if (name == "--gateway-entrypoint") {
      for (const auto& each : vals) {
        auto eq = each.find('=');
        int port = 0;
        auto [end, ec] =
            std::from_chars(each.data(), each.data() + (eq == std::string::npos ? 0 : eq), port);
        if (eq == std::string::npos || ec != std::errc{} || end != each.data() + eq || port < 1 ||
            port > 65535 || eq + 1 == each.size()) {
          return Error{"--gateway-entrypoint '" + each + "': expected PORT=ENTRYPOINT (80=web)"};
        }
        o.kube_options.gateway.entrypoints[port] = each.substr(eq + 1);
      }
    } else if (name == "--entrypoint-redirect") {
      for (const auto& each : vals) {
        auto eq = each.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == each.size()) {
          return Error{"--entrypoint-redirect '" + each +
                       "': expected FROM=TO (TO a name or :PORT)"};
        }
        model::EntryPoint ep;
        ep.name = each.substr(0, eq);
        ep.redirect.to = each.substr(eq + 1);
        bool from_file = false;
        for (auto& other : o.entrypoints) {
          if (other.name != ep.name) continue;
          if (!redirected.insert(ep.name).second)
            return Error{"--entrypoint-redirect: '" + ep.name + "' given twice"};
          other.redirect = ep.redirect;  // The flag wins over the file's redirection.
          from_file = true;
        }
        if (!from_file) {
          redirected.insert(ep.name);
          o.entrypoints.push_back(std::move(ep));
        }
      }
    } else if (name == "--metrics-address") {
      if (v == "off") {
        o.metrics_enabled = false;
        continue;
      }
      auto colon = v.rfind(':');
      unsigned port = 0;
      std::string host = colon == std::string::npos ? "" : v.substr(0, colon);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
      }
      auto digits = colon == std::string::npos ? std::string() : v.substr(colon + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
      if (colon == std::string::npos || ec != std::errc{} || end != digits.data() + digits.size() ||
          port > 65535) {
        return Error{"--metrics-address '" + v + "': expected [HOST]:PORT or off"};
      }
      o.metrics_host = host;
      o.metrics_port = static_cast<std::uint16_t>(port);
    } else if (name == "--throttle") {
      auto ms = parse_ms(name, v, 1, 60'000);
      if (!ms) return Error{ms.error()};
      o.throttle = *ms;
    } else if (name == "--initial-sync-timeout") {
      auto ms = parse_ms(name, v, 1000, 3600);
      if (!ms) return Error{ms.error()};
      o.initial_sync_timeout = *ms;
    } else if (name == "--log-level") {
      if (v == "debug")
        log::set_min_level(log::Level::kDebug);
      else if (v == "info")
        log::set_min_level(log::Level::kInfo);
      else if (v == "warn")
        log::set_min_level(log::Level::kWarn);
      else if (v == "error")
        log::set_min_level(log::Level::kError);
      else
        return Error{"--log-level '" + v + "': expected debug, info, warn or error"};
    }
  }
  std::string acme_ca;
  if (auto it = flags->find("--acme-ca-certificates"); it != flags->end()) {
    acme_ca = it->second.back();
  } else {
    for (char** e = envp; e && *e; ++e) {
      std::string_view var = *e;
      if (var.starts_with("LEGO_CA_CERTIFICATES=")) acme_ca = std::string(var.substr(21));
    }
  }
  // The DNS providers' variables, as lego names them (and nothing else of the environment).
  std::map<std::string, std::string> dns_env;
  for (char** e = envp; e && *e; ++e) {
    std::string_view var = *e;
    const auto eq = var.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = var.substr(0, eq);
    if (key.starts_with("RFC2136_") || key.starts_with("HTTPREQ_") || key.starts_with("CF_") ||
        key.starts_with("CLOUDFLARE_")) {
      dns_env.emplace(key, var.substr(eq + 1));
    }
  }
  auto resolvers = acme::parse_resolvers(*flags, acme_ca, dns_env);
  if (!resolvers) return Error{resolvers.error()};
  o.acme = std::move(*resolvers);
  for (const auto& r : o.acme) {
    if (!r.problem.empty()) {
      o.warnings.push_back("certificate resolver " + r.name + ": " + r.problem +
                           "; it obtains no certificate (its routers get the other "
                           "certificates or the default one)");
    }
  }
  if (!docker_given && is_socket(default_docker_socket)) {
    o.docker_endpoint = "unix://" + default_docker_socket;
  }
  if (!kubeconfig.empty() && kubeconfig != "off") {
    auto kc = kubernetes::kubeconfig_config(kubeconfig);
    if (!kc) return Error{kc.error()};
    o.kube = *kc;
  } else if (kubeconfig.empty() && in_pod) {
    auto ic = kubernetes::in_cluster_config();
    if (!ic) return Error{ic.error()};
    o.kube = *ic;
  }
  if (o.kube) {
    if (auto ok = finish_election(o.kube_options, *o.kube); !ok) return Error{ok.error()};
  }
  for (auto& r : o.acme) {
    if (r.secret_name.empty()) continue;
    if (!o.kube) {
      return Error{"--certificatesresolvers." + r.name + ".acme.storage=secret:" + r.secret_name +
                   ": a Secret needs the Kubernetes API (--kubeconfig PATH, or run in a pod)"};
    }
    if (r.secret_namespace.empty()) {
      r.secret_namespace =
          o.kube->default_namespace.empty() ? "default" : o.kube->default_namespace;
    }
  }
  if (o.docker_endpoint.empty() && o.file.empty() && !o.kube) {
    return Error{
        "no provider enabled: give --file PATH, --docker-endpoint URL and/or --kubeconfig PATH"};
  }
  return o;
}

}  // namespace wharf::controller
