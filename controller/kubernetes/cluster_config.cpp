#include "controller/kubernetes/cluster_config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "text/base64.hpp"

namespace wharf::controller::kubernetes {
namespace {

using model::Error;
using model::Result;

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot be read"};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<std::string> base64_decode(const std::string& in, const std::string& what) {
  auto out = text::base64_decode(in);
  if (!out) return Error{what + ": not base64"};
  return std::move(*out);
}

// Relative file names in a kubeconfig are relative to the kubeconfig's directory.
std::string resolve(const std::string& kubeconfig, const std::string& file) {
  if (file.empty() || file.front() == '/') return file;
  auto slash = kubeconfig.rfind('/');
  return slash == std::string::npos ? file : kubeconfig.substr(0, slash + 1) + file;
}

YAML::Node named(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list.IsSequence()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& item : list) {
    if (item.IsMap() && item["name"] && item["name"].IsScalar() && item["name"].Scalar() == name) {
      return item[field];
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string scalar(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) return {};
  auto v = map[key];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

// "file or inline base64 data" fields.
Result<std::string> pem(const YAML::Node& map, const char* file_key, const char* data_key,
                        const std::string& kubeconfig) {
  if (auto data = scalar(map, data_key); !data.empty()) return base64_decode(data, data_key);
  if (auto file = scalar(map, file_key); !file.empty()) return read_file(resolve(kubeconfig, file));
  return std::string();
}

}  // namespace

Result<ClusterConfig> in_cluster_config(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !port) return Error{"not running in a pod (KUBERNETES_SERVICE_HOST/PORT unset)"};
  ClusterConfig c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  c.server = "https://" + h + ":" + port;
  c.token_file = sa_dir + "/token";
  if (auto t = read_file(c.token_file); !t) return Error{"in-cluster: " + t.error()};
  auto ca = read_file(sa_dir + "/ca.crt");
  if (!ca) return Error{"in-cluster: " + ca.error()};
  c.ca_pem = *ca;
  if (auto ns = read_file(sa_dir + "/namespace"); ns) c.default_namespace = *ns;
  c.source = "in-cluster";
  return c;
}

Result<ClusterConfig> kubeconfig_config(const std::string& path) {
  auto text = read_file(path);
  if (!text) return Error{"kubeconfig " + text.error()};
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return Error{"kubeconfig " + path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
  if (!root.IsMap()) return Error{"kubeconfig " + path + ": expected a mapping"};
  const std::string ctx_name = scalar(root, "current-context");
  if (ctx_name.empty()) return Error{"kubeconfig " + path + ": no current-context"};
  YAML::Node ctx = named(root["contexts"], ctx_name, "context");
  if (!ctx.IsMap()) return Error{"kubeconfig " + path + ": context '" + ctx_name + "' not found"};
  YAML::Node cluster = named(root["clusters"], scalar(ctx, "cluster"), "cluster");
  if (!cluster.IsMap())
    return Error{"kubeconfig " + path + ": cluster of context '" + ctx_name + "' not found"};
  YAML::Node user = named(root["users"], scalar(ctx, "user"), "user");

  ClusterConfig c;
  c.source = path;
  c.server = scalar(cluster, "server");
  if (c.server.empty()) return Error{"kubeconfig " + path + ": cluster has no server"};
  c.insecure_skip_verify = scalar(cluster, "insecure-skip-tls-verify") == "true";
  auto ca = pem(cluster, "certificate-authority", "certificate-authority-data", path);
  if (!ca) return Error{"kubeconfig " + path + ": " + ca.error()};
  c.ca_pem = *ca;
  c.default_namespace = scalar(ctx, "namespace");
  if (user.IsMap()) {
    if (user["exec"] || user["auth-provider"]) {
      return Error{"kubeconfig " + path +
                   ": exec and auth-provider credentials are not supported; "
                   "use a token or a client certificate"};
    }
    c.token = scalar(user, "token");
    c.token_file = resolve(path, scalar(user, "tokenFile"));
    auto cert = pem(user, "client-certificate", "client-certificate-data", path);
    auto key = pem(user, "client-key", "client-key-data", path);
    if (!cert) return Error{"kubeconfig " + path + ": " + cert.error()};
    if (!key) return Error{"kubeconfig " + path + ": " + key.error()};
    c.client_cert_pem = *cert;
    c.client_key_pem = *key;
  }
  return c;
}

}  // namespace wharf::controller::kubernetes
