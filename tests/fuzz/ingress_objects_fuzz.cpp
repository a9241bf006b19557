// libFuzzer target: any bytes as Kubernetes API JSON, translated as Ingress objects of Wharf's
// class, again of the ingress-nginx class (annotations, Secrets, the ConfigMap), and as Gateway
// API objects, and compiled; the compiled table must pass the data plane's validate() (see
// file_config_fuzz.cpp).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "controller/compiler/compiler.hpp"
#include "controller/kubernetes/gateway/translator.hpp"
#include "controller/kubernetes/ingress_translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  wharf::controller::kubernetes::Snapshot snap;
  if (!wharf::controller::kubernetes::add_objects(text, snap)) return 0;
  namespace k8s = wharf::controller::kubernetes;
  k8s::gateway::Options gateway;
  gateway.enabled = true;
  const k8s::Index index(snap);
  auto routes =
      k8s::gateway::translate(snap, index, gateway, {{"192.0.2.1", ""}}, "2026-01-01T00:00:00Z");
  auto routed = wharf::controller::compiler::compile({{"kubernetes", routes.config}});
  if (auto ok = wharf::model::validate(routed); !ok) {
    std::fprintf(stderr, "compiled Gateway API table refused: %s\n", ok.error().c_str());
    __builtin_trap();
  }
  for (bool nginx : {false, true}) {
    wharf::controller::kubernetes::IngressOptions options;
    options.watch_without_class = !nginx;
    options.nginx.enabled = nginx;
    options.nginx.without_class = nginx;
    options.nginx.configmap = "ingress-nginx/ingress-nginx-controller";
    std::vector<wharf::controller::kubernetes::IngressReport> reports;
    auto config = wharf::controller::kubernetes::translate(snap, options, &reports);
    auto table = wharf::controller::compiler::compile({{"kubernetes", config}});
    if (auto ok = wharf::model::validate(table); !ok) {
      std::fprintf(stderr, "compiled table refused: %s\n", ok.error().c_str());
      __builtin_trap();
    }
  }
  return 0;
}
