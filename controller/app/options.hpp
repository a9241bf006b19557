#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "controller/acme/manager.hpp"
#include "controller/compiler/entrypoint_models.hpp"
#include "controller/docker/translator.hpp"
#include "controller/kubernetes/cluster_config.hpp"
#include "controller/kubernetes/kube_provider.hpp"
#include "model/result.hpp"

namespace wharf::controller {

// Static options of the controller: flags, each also readable from a WHARF_* variable.
struct Options {
  std::string control_socket = "/run/wharf/control.sock";
  // Empty: Docker off. The default socket is used when it exists and no endpoint was given.
  std::string docker_endpoint;
  docker::TranslatorOptions docker;
  std::string file;  // Empty: file provider off.
  // Set when the Kubernetes provider is on: --kubeconfig, or in a pod (service account).
  std::optional<kubernetes::ClusterConfig> kube;
  kubernetes::KubeOptions kube_options;
  // Static entrypoint settings put in every table: --entrypoint-redirect.
  std::vector<model::EntryPoint> entrypoints;
  // The metrics listener (/metrics, /healthz, /readyz); off with --metrics-address off.
  bool metrics_enabled = true;
  std::string metrics_host;  // Empty: every address.
  std::uint16_t metrics_port = 8083;
  std::chrono::milliseconds throttle{100};
  std::chrono::milliseconds initial_sync_timeout{30'000};
  std::vector<acme::ResolverConfig> acme;  // --certificatesresolvers.NAME.acme.*
  // From --configfile (Traefik's static configuration): entry point names, defaults and
  // models applied to every router; the objects it defines (the default servers transport),
  // published as the provider "internal"; what it says Wharf ignores.
  std::string configfile;
  compiler::StaticRouting routing;
  model::ProviderConfig internal;
  std::vector<std::string> warnings;
  bool check = false;
  bool strict = false;  // --check fails on warnings too.
  bool show_help = false;
  bool show_version = false;
};

// `default_docker_socket` is where Docker is looked for when --docker-endpoint is not given
// (a parameter so tests do not depend on the machine's /var/run/docker.sock).
model::Result<Options> parse_options(
    int argc, const char* const* argv, char** envp,
    const std::string& default_docker_socket = "/var/run/docker.sock");

const char* options_help();

}  // namespace wharf::controller
