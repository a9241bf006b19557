#include "controller/app/options.hpp"

#include <sys/stat.h>
#include <charconv>

#include "cli/flags.hpp"
#include "controller/docker/engine_client.hpp"
#include "controller/docker/labels.hpp"
#include "controller/provider/split_list.hpp"
#include "log/log.hpp"

namespace wharf::controller {
namespace {

using model::Error;
using model::Result;

Result<std::chrono::milliseconds> parse_ms(const std::string& flag, const std::string& v,
                                           unsigned scale, unsigned max) {
  unsigned n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p != v.data() + v.size() || n > max) {
    return Error{flag + " '" + v + "': expected a number from 0 to " + std::to_string(max)};
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(n) * scale);
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

const char* options_help() {
  return R"(Usage: wharf-controller [flags]

Discovers routes (Docker container labels, a Traefik dynamic configuration file), compiles them
into one routing table and pushes it to wharf-dataplane over its control socket. Every flag can
also be set with an environment variable, e.g. --file → WHARF_FILE.

  --control-socket PATH           the data plane's control socket (default /run/wharf/control.sock)
  --docker-endpoint URL|off       Docker Engine API: unix:///path or tcp://host:port (default:
                                  unix:///var/run/docker.sock when that socket exists)
  --docker-label-prefixes LIST    label prefixes read, first wins (default wharf; add traefik to
                                  use existing Traefik labels unchanged)
  --docker-exposed-by-default     route containers without <prefix>.enable=true too
  --docker-network NAME           network to reach containers on when they have several
  --docker-default-rule TEMPLATE  rule of routers without one (default Host(`{{ normalize .Name }}`))
  --file PATH|off                 Traefik v3 dynamic configuration YAML, watched for changes
  --kubeconfig PATH|off           Kubernetes API credentials (default: the pod's service account
                                  when running in a pod; off turns Kubernetes off)
  --ingress-class NAME            class name matched by kubernetes.io/ingress.class (default wharf);
                                  IngressClasses with controller wharf.dev/ingress-controller are ours
  --watch-ingress-without-class   also take Ingresses that name no class
  --namespace NS                  watch one namespace only (default: all)
  --throttle MS                   fold provider changes for this long before compiling (default 100)
  --initial-sync-timeout SECONDS  publish without a provider that has not synced by then
                                  (default 30; the data plane serves its saved table meanwhile)
  --log-level LEVEL               debug, info, warn or error (default info)
  --check                         validate every enabled provider once, print the compiled table
                                  and every rejected object, exit 1 if any was rejected
  --help, --version
)";
}

Result<Options> parse_options(int argc, const char* const* argv, char** envp,
                              const std::string& default_docker_socket) {
  auto flags = cli::collect_flags(argc, argv, envp,
                                  {{"--control-socket"},
                                   {"--docker-endpoint"},
                                   {"--docker-label-prefixes"},
                                   {"--docker-exposed-by-default", false},
                                   {"--docker-network"},
                                   {"--docker-default-rule"},
                                   {"--file"},
                                   {"--kubeconfig"},
                                   {"--ingress-class"},
                                   {"--watch-ingress-without-class", false},
                                   {"--namespace"},
                                   {"--throttle"},
                                   {"--initial-sync-timeout"},
                                   {"--log-level"},
                                   {"--check", false}});
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
  std::string kubeconfig;
  for (const auto& [name, vals] : *flags) {
    const std::string& v = vals.back();
    if (name == "--control-socket") {
      o.control_socket = v;
    } else if (name == "--docker-endpoint") {
      docker_given = true;
      if (v != "off") {
        if (auto ep = docker::parse_endpoint(v); !ep) return Error{ep.error()};
        o.docker_endpoint = v;
      }
    } else if (name == "--docker-label-prefixes") {
      o.docker.label_prefixes = split_list(v);
      if (o.docker.label_prefixes.empty()) return Error{"--docker-label-prefixes: empty list"};
    } else if (name == "--docker-exposed-by-default" || name == "--check" ||
               name == "--watch-ingress-without-class") {
      auto b = docker::parse_bool(v);
      if (!b) return Error{name + " '" + v + "': " + b.error()};
      if (name == "--check")
        o.check = *b;
      else if (name == "--docker-exposed-by-default")
        o.docker.exposed_by_default = *b;
      else
        o.kube_options.ingress.watch_without_class = *b;
    } else if (name == "--kubeconfig") {
      kubeconfig = v;
    } else if (name == "--ingress-class") {
      o.kube_options.ingress.ingress_class = v;
    } else if (name == "--namespace") {
      o.kube_options.namespace_ = v;
    } else if (name == "--docker-network") {
      o.docker.network = v;
    } else if (name == "--docker-default-rule") {
      // Expanded once here so a broken template stops the start instead of every router.
      auto probe = docker::expand_default_rule(v, "probe", {});
      if (!probe) return Error{"--docker-default-rule: " + probe.error()};
      o.docker.default_rule = v;
    } else if (name == "--file") {
      o.file = v == "off" ? "" : v;
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
  if (o.docker_endpoint.empty() && o.file.empty() && !o.kube) {
    return Error{
        "no provider enabled: give --file PATH, --docker-endpoint URL and/or --kubeconfig PATH"};
  }
  return o;
}

}  // namespace wharf::controller
