#pragma once

#include <string>

#include "model/result.hpp"

namespace wharf::controller::kubernetes {

// How to reach and authenticate to the API server. Credentials stay in the controller process;
// the data plane never sees any of this.
struct ClusterConfig {
  std::string server;  // https://host:port (http:// for `kubectl proxy` and tests)
  std::string ca_pem;  // Trusted CA bundle; empty: the system's
  bool insecure_skip_verify = false;
  std::string token;       // Bearer token given inline,
  std::string token_file;  // or read from this file before every request (rotation).
  std::string client_cert_pem, client_key_pem;
  // "user:password" for HTTP basic authentication instead of a token (the DNS-01 HTTP hook
  // reuses this client).
  std::string basic_auth;
  std::string default_namespace;
  std::string source;  // "in-cluster" or the kubeconfig path, for messages
};

// Inside a pod: KUBERNETES_SERVICE_HOST/PORT and the service account directory (token, ca.crt,
// namespace). Fails with the reason when not in a pod.
model::Result<ClusterConfig> in_cluster_config(
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// A kubeconfig file: its current context's cluster (server, certificate-authority[-data],
// insecure-skip-tls-verify) and user (token, tokenFile, client-certificate[-data],
// client-key[-data]). Exec and auth-provider plugins are refused with a clear reason.
model::Result<ClusterConfig> kubeconfig_config(const std::string& path);

}  // namespace wharf::controller::kubernetes
