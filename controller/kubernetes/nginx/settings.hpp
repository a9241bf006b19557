#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controller/kubernetes/nginx/annotations.hpp"
#include "controller/kubernetes/objects.hpp"

namespace wharf::controller::kubernetes::nginx {

// ingress-nginx's controller-wide settings: the keys of its ConfigMap that change what an
// Ingress does when it does not say (--ingress-nginx-configmap names it; without one, these
// are ingress-nginx's own defaults).
struct Settings {
  std::uint64_t body_size = 1024 * 1024;  // proxy-body-size: 1m
  std::uint32_t connect_timeout_s = 5, read_timeout_s = 60, send_timeout_s = 60;
  bool ssl_redirect = true, force_ssl_redirect = false;
  unsigned redirect_code = 308;  // http-redirect-code
  bool hsts = true;
  std::uint64_t hsts_max_age = 31'536'000;
  bool hsts_include_subdomains = true, hsts_preload = false;
  unsigned limit_req_status = 503, limit_conn_status = 503;
  std::vector<std::string> allow, deny;  // whitelist-source-range, denylist-source-range
  // global-auth-url (and -signin, -response-headers, -method): every Ingress without its own
  // auth-url and without enable-global-auth "false" is asked about there.
  std::optional<ExternalAuth> global_auth;
  std::string source;  // "configmap ingress-nginx/ingress-nginx-controller"
  // Keys not taken or not valid, with `annotation` holding the key. An invalid value keeps the
  // default and is reported.
  std::vector<Finding> findings;
};

// The settings from the ConfigMap's data; `map` may be null (none configured or not found).
Settings read_settings(const ConfigMap* map);

}  // namespace wharf::controller::kubernetes::nginx
