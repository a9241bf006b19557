#include "controller/kubernetes/kube_provider.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>

#include "controller/kubernetes/api_time.hpp"
#include "controller/kubernetes/json_fields.hpp"
#include "log/log.hpp"

namespace wharf::controller::kubernetes {

using model::Error;
using model::Result;

KubeProvider::KubeProvider(asio::any_io_executor ex, ClusterConfig config, KubeOptions options,
                           Stats& stats, Sink sink)
    : ex_(ex),
      client_(ex, std::move(config)),
      options_(std::move(options)),
      stats_(stats),
      sink_(std::move(sink)) {
  // Namespaced kinds are watched in one namespace when asked; IngressClass is cluster-scoped.
  const std::string ns = options_.namespace_.empty() ? "" : "/namespaces/" + options_.namespace_;
  struct Kind {
    const char* kind;
    std::string path;
  };
  const Kind kinds[] = {
      {"IngressClass", "/apis/networking.k8s.io/v1/ingressclasses"},
      {"Ingress", "/apis/networking.k8s.io/v1" + ns + "/ingresses"},
      {"Service", "/api/v1" + ns + "/services"},
      {"EndpointSlice", "/apis/discovery.k8s.io/v1" + ns + "/endpointslices"},
  };
  for (const auto& k : kinds) {
    reflectors_.push_back(
        std::make_unique<Reflector>(client_, k.kind, k.path, [this] { changed(); }));
  }
  // Only TLS Secrets, selected by the server (and Opaque ones for the ingress-nginx class,
  // below): the controller never holds service-account tokens, Helm releases and the like.
  reflectors_.push_back(std::make_unique<Reflector>(
      client_, "Secret", "/api/v1" + ns + "/secrets", [this] { changed(); },
      "fieldSelector=type%3Dkubernetes.io%2Ftls"));
  const auto& nginx = options_.ingress.nginx;
  if (nginx.enabled) {
    // ingress-nginx's auth-secret and proxy-ssl-secret are usually Opaque (`kubectl create
    // secret generic`): the nginx class needs them too, still selected by the server.
    reflectors_.push_back(std::make_unique<Reflector>(
        client_, "Secret", "/api/v1" + ns + "/secrets", [this] { changed(); },
        "fieldSelector=type%3DOpaque"));
  }
  if (nginx.enabled && !nginx.configmap.empty()) {
    auto slash = nginx.configmap.find('/');
    reflectors_.push_back(std::make_unique<Reflector>(
        client_, "ConfigMap",
        "/api/v1/namespaces/" + nginx.configmap.substr(0, slash) + "/configmaps",
        [this] { changed(); },
        "fieldSelector=metadata.name%3D" + nginx.configmap.substr(slash + 1)));
  }
  const auto& publish = options_.status.publish_service;
  if (!publish.empty() && options_.status.publish_addresses.empty()) {
    // Its own watch, by name: it may live outside --namespace (usually the controller's own).
    auto slash = publish.find('/');
    reflectors_.push_back(std::make_unique<Reflector>(
        client_, "Service", "/api/v1/namespaces/" + publish.substr(0, slash) + "/services",
        [this] { changed(); }, "fieldSelector=metadata.name%3D" + publish.substr(slash + 1)));
  }
}

awaitable<void> KubeProvider::discover_gateway_api() {
  if (!options_.gateway.enabled || discovered_) co_return;
  discovered_ = true;
  const std::string ns = options_.namespace_.empty() ? "" : "/namespaces/" + options_.namespace_;
  // (group version, plural, kind, namespaced). GRPCRoute is served as v1 from v1.1 on;
  // ReferenceGrant is v1beta1 in every v1.x release.
  struct Kind {
    const char* version;
    const char* plural;
    const char* kind;
    bool namespaced;
  };
  constexpr Kind kinds[] = {{"v1", "gatewayclasses", "GatewayClass", false},
                            {"v1", "gateways", "Gateway", true},
                            {"v1", "httproutes", "HTTPRoute", true},
                            {"v1", "grpcroutes", "GRPCRoute", true},
                            {"v1beta1", "referencegrants", "ReferenceGrant", true}};
  std::map<std::string, std::set<std::string>> served;  // version → plurals
  std::string failure;                                  // Why discovery gave no definite answer.
  for (const char* version : {"v1", "v1beta1"}) {
    const std::string path = std::string("/apis/") + gateway::kGroup + "/" + version;
    // A definite answer is 200 or 404 (not installed); anything else (the API server
    // restarting) is asked again for a while, so a hiccup does not turn the Gateway API off.
    Backoff backoff;
    model::Result<ApiResponse> res = model::Error{"not asked"};
    for (int attempt = 0; attempt < 8; ++attempt) {
      res = co_await client_.request(boost::beast::http::verb::get, path);
      if (res && (res->status == 200 || res->status == 404)) break;
      if (!co_await sleep_for(backoff.next())) co_return;
    }
    if (!res || (res->status != 200 && res->status != 404)) {
      failure = path + ": " + (res ? "HTTP " + std::to_string(res->status) : res.error());
    }
    if (!res || res->status != 200) continue;
    rapidjson::Document d;
    d.Parse(res->body.c_str());
    if (d.HasParseError()) continue;
    json::each(json::member(d, "resources"),
               [&](const json::Value& r) { served[version].insert(json::str(r, "name")); });
  }
  std::vector<std::string> missing;
  for (const auto& k : kinds) {
    if (!served[k.version].count(k.plural)) {
      missing.push_back(k.kind);
      continue;
    }
    reflectors_.push_back(std::make_unique<Reflector>(client_, k.kind,
                                                      std::string("/apis/") + gateway::kGroup +
                                                          "/" + k.version +
                                                          (k.namespaced ? ns : "") + "/" + k.plural,
                                                      [this] { changed(); }));
  }
  if (missing.size() == std::size(kinds) && !failure.empty()) {
    log::error("kubernetes: --gateway-api: cannot tell which Gateway API kinds are served (" +
               failure + "): the Gateway API stays off until the controller restarts");
    co_return;
  }
  if (missing.size() == std::size(kinds)) {
    log::warn("kubernetes: --gateway-api: the Gateway API CRDs are not installed (" +
              std::string(gateway::kGroup) + "/v1 is not served); install the standard channel " +
              "and restart the controller");
    co_return;
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    log::warn("kubernetes: --gateway-api: the cluster does not serve " + list +
              " (older Gateway API CRDs): those kinds are not read");
  }
  // Namespace labels, for listeners' allowedRoutes selectors.
  reflectors_.push_back(std::make_unique<Reflector>(client_, "Namespace", "/api/v1/namespaces",
                                                    [this] { changed(); }));
  log::info("kubernetes: Gateway API on (controllerName " + std::string(gateway::kControllerName) +
            ")");
}

void KubeProvider::changed() {
  stats_.add("provider_events_total", "kubernetes");
  for (const auto& r : reflectors_) {
    if (!r->synced()) return;  // Not every kind listed yet: a partial view would drop routes.
  }
  // Events arrive in bursts (a rollout touches many EndpointSlices); rebuild once per burst.
  if (rebuild_posted_) return;
  rebuild_posted_ = true;
  asio::post(ex_, [this] {
    rebuild_posted_ = false;
    sink_(build());
  });
}

model::ProviderConfig KubeProvider::build() {
  auto started = std::chrono::steady_clock::now();
  Snapshot snap;
  for (const auto& r : reflectors_) {
    for (const auto& [key, json] : r->objects()) {
      if (auto ok = add_objects(json, snap); !ok)
        log::warn("kubernetes: " + key + ": " + ok.error());
    }
  }
  std::vector<IngressReport> reports;
  const Index index(snap);  // Services, slices and Secrets by name, for both translations.
  auto config = translate(snap, index, options_.ingress, status_ ? &reports : nullptr);
  count_left_out(config);
  if (options_.gateway.enabled) {
    auto gw = gateway::translate(snap, index, options_.gateway,
                                 published_addresses(options_.status, snap),
                                 api_time(std::chrono::system_clock::now(), false));
    auto append = [](auto& to, auto& from) {
      to.insert(to.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
    };
    append(config.routers, gw.config.routers);
    append(config.services, gw.config.services);
    append(config.middlewares, gw.config.middlewares);
    append(config.certificates, gw.config.certificates);
    append(config.diagnostics, gw.config.diagnostics);
    if (gateway_status_) {
      gateway_status_->update(std::move(gw.classes), std::move(gw.gateways), std::move(gw.routes));
    }
  }
  if (status_) {
    reports_ = std::move(reports);
    addresses_ = published_addresses(options_.status, snap);
    router_owner_.clear();
    std::map<std::string, std::size_t> by_source;
    for (std::size_t i = 0; i < reports_.size(); ++i) {
      by_source["ingress " + reports_[i].meta.ns + "/" + reports_[i].meta.name] = i;
    }
    for (const auto& r : config.routers) {
      if (auto it = by_source.find(r.source); it != by_source.end()) {
        router_owner_[r.name + "@kubernetes"] = it->second;
      }
    }
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::debug("kubernetes: translated " + std::to_string(snap.ingresses.size()) + " Ingresses, " +
             std::to_string(snap.http_routes.size()) + " routes in " +
             std::to_string(took.count()) + " ms");
  return config;
}

// wharf_controller_ingress_annotations_not_applied{annotation}: how many Ingresses carry each
// ingress-nginx annotation that was left out, refused or not taken (0 once none does).
void KubeProvider::count_left_out(const model::ProviderConfig& config) {
  std::map<std::string, std::uint64_t> now;
  for (const auto& name : annotations_counted_) now[name] = 0;
  const std::string prefix = "annotation nginx.ingress.kubernetes.io/";
  for (const auto& d : config.diagnostics) {
    if (d.kind != "ingress" || !d.message.starts_with(prefix)) continue;
    auto name = d.message.substr(prefix.size());
    ++now[name.substr(0, name.find(':'))];
  }
  annotations_counted_.clear();
  for (const auto& [name, n] : now) {
    stats_.set("ingress_annotations_not_applied", name, n);
    annotations_counted_.insert(name);
  }
}

void KubeProvider::compiled(const std::vector<model::Diagnostic>& diagnostics) {
  if (!status_) return;
  auto reports = reports_;
  std::map<std::string, const model::Diagnostic*> rejected_middlewares;
  for (const auto& d : diagnostics) {
    if (d.kind == "middleware") rejected_middlewares[d.name] = &d;
  }
  for (const auto& d : diagnostics) {
    auto owner = router_owner_.find(d.name);
    if (d.kind != "router" || owner == router_owner_.end()) continue;
    // The translator's own problems are in the report already (the router carried them);
    // what only the whole table shows are references to other providers' objects.
    if (!d.message.starts_with("uses middleware ") && !d.message.starts_with("uses TLS options ")) {
      continue;
    }
    std::string problem = "router " + d.name + " " + d.message;
    // "uses middleware auth@file, which was rejected": say why, so `kubectl describe` is
    // enough to fix it.
    for (const auto& [name, m] : rejected_middlewares) {
      if (d.message == "uses middleware " + name + ", which was rejected") {
        problem += " (" + m->message + ")";
      }
    }
    auto& problems = reports[owner->second].problems;
    if (std::find(problems.begin(), problems.end(), problem) == problems.end()) {
      problems.push_back(std::move(problem));
    }
  }
  status_->update(std::move(reports), addresses_);
}

awaitable<void> KubeProvider::run() {
  log::info("kubernetes: API server " + client_.config().server + " (" + client_.config().source +
            ")" + (options_.namespace_.empty() ? "" : ", namespace " + options_.namespace_));
  auto election = options_.election;
  status_ = std::make_unique<StatusWriter>(ex_, client_, options_.status, election.identity);
  if (options_.gateway.enabled) {
    gateway_status_ = std::make_unique<gateway::StatusWriter>(ex_, client_, election.identity);
  }
  stats_.set("leader", "", 0);
  elector_ = std::make_unique<LeaderElector>(client_, election, [this](bool leader) {
    status_->set_leader(leader);
    if (gateway_status_) gateway_status_->set_leader(leader);
    stats_.set("leader", "", leader ? 1 : 0);
  });
  asio::co_spawn(ex_, status_->run(), asio::detached);
  if (gateway_status_) asio::co_spawn(ex_, gateway_status_->run(), asio::detached);
  co_await discover_gateway_api();
  asio::co_spawn(ex_, elector_->run(), asio::detached);
  for (auto& r : reflectors_) asio::co_spawn(ex_, r->run(), asio::detached);
  co_return;
}

awaitable<void> KubeProvider::stop() {
  if (elector_) co_await elector_->release();
}

awaitable<Result<model::ProviderConfig>> KubeProvider::sync_once() {
  co_await discover_gateway_api();
  for (auto& r : reflectors_) {
    auto ok = co_await r->list();
    if (!ok) co_return Error{ok.error()};
  }
  co_return build();
}

}  // namespace wharf::controller::kubernetes
