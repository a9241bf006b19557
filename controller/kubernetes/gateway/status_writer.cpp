#include "controller/kubernetes/gateway/status_writer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "controller/kubernetes/events.hpp"
#include "log/log.hpp"

namespace wharf::controller::kubernetes::gateway {
namespace {

namespace http = boost::beast::http;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr double kWritesPerSecond = 20, kBurst = 40;

void put(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_conditions(Writer& w, const std::vector<Condition>& conditions) {
  w.Key("conditions");
  w.StartArray();
  for (const auto& c : conditions) {
    w.StartObject();
    put(w, "type", c.type);
    put(w, "status", c.status);
    put(w, "reason", c.reason);
    put(w, "message", c.message);
    w.Key("observedGeneration");
    w.Int64(c.observed_generation);
    put(w, "lastTransitionTime", c.last_transition_time);
    w.EndObject();
  }
  w.EndArray();
}

void write_parent(Writer& w, const RouteParentStatus& p) {
  w.StartObject();
  w.Key("parentRef");
  w.StartObject();
  const auto& r = p.parent_ref;
  if (!r.group.empty()) put(w, "group", r.group);
  if (!r.kind.empty()) put(w, "kind", r.kind);
  if (!r.ns.empty()) put(w, "namespace", r.ns);
  put(w, "name", r.name);
  if (!r.section_name.empty()) put(w, "sectionName", r.section_name);
  if (r.port != 0) {
    w.Key("port");
    w.Int(r.port);
  }
  w.EndObject();
  put(w, "controllerName", p.controller_name);
  write_conditions(w, p.conditions);
  w.EndObject();
}

// {"metadata":{"resourceVersion":...},"status":{...}}: the resourceVersion makes the patch
// conditional (409 when the object changed since we read it).
template <typename Fn>
std::string status_patch(const ObjectMeta& meta, Fn status) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("metadata");
  w.StartObject();
  put(w, "resourceVersion", meta.resource_version);
  w.EndObject();
  w.Key("status");
  w.StartObject();
  status(w);
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

std::string class_status(const ClassReport& c) {
  return status_patch(c.meta, [&](Writer& w) {
    write_conditions(w, c.conditions);
    w.Key("supportedFeatures");
    w.StartArray();
    for (const auto& f : c.supported_features) {
      w.StartObject();
      put(w, "name", f);
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string gateway_status(const GatewayReport& g) {
  return status_patch(g.meta, [&](Writer& w) {
    write_conditions(w, g.conditions);
    w.Key("addresses");
    w.StartArray();
    for (const auto& a : g.addresses) {
      w.StartObject();
      put(w, "type", a.type);
      put(w, "value", a.value);
      w.EndObject();
    }
    w.EndArray();
    w.Key("listeners");
    w.StartArray();
    for (const auto& l : g.listeners) {
      w.StartObject();
      put(w, "name", l.name);
      w.Key("supportedKinds");
      w.StartArray();
      for (const auto& [group, kind] : l.supported_kinds) {
        w.StartObject();
        put(w, "group", group);
        put(w, "kind", kind);
        w.EndObject();
      }
      w.EndArray();
      w.Key("attachedRoutes");
      w.Int(l.attached_routes);
      write_conditions(w, l.conditions);
      w.EndObject();
    }
    w.EndArray();
  });
}

// Other controllers' entries first, as they were, then ours.
std::string route_status(const RouteReport& r) {
  return status_patch(r.meta, [&](Writer& w) {
    w.Key("parents");
    w.StartArray();
    for (const auto& p : r.others) write_parent(w, p);
    for (const auto& p : r.parents) write_parent(w, p);
    w.EndArray();
  });
}

std::string plural(const std::string& kind) {
  return kind == "GRPCRoute" ? "grpcroutes" : kind == "HTTPRoute" ? "httproutes" : "gateways";
}

std::string object_path(const std::string& kind, const ObjectMeta& meta) {
  const std::string base = std::string("/apis/") + kGroup + "/v1/";
  if (kind == "GatewayClass") return base + "gatewayclasses/" + meta.name + "/status";
  return base + "namespaces/" + meta.ns + "/" + plural(kind) + "/" + meta.name + "/status";
}

}  // namespace

StatusWriter::StatusWriter(asio::any_io_executor ex, ApiClient& client, std::string identity)
    : client_(client), identity_(std::move(identity)), work_(ex) {}

void StatusWriter::update(std::vector<ClassReport> classes, std::vector<GatewayReport> gateways,
                          std::vector<RouteReport> routes) {
  classes_ = std::move(classes);
  gateways_ = std::move(gateways);
  routes_ = std::move(routes);
  work_.wake();
}

void StatusWriter::set_leader(bool leader) {
  if (leader) written_.clear();  // A new term: what we wrote may have been overwritten.
  work_.set_leader(leader);
}

awaitable<void> StatusWriter::run() {
  auto step = [this] { return sync(); };  // Named: no temporary in a co_await (GCC 12).
  co_await work_.run(step);
}

// A token bucket in front of every write.
awaitable<void> StatusWriter::pace() {
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    tokens_ =
        std::min(kBurst, tokens_ + kWritesPerSecond *
                                       std::chrono::duration<double>(now - refilled_).count());
    refilled_ = now;
    if (tokens_ >= 1) {
      tokens_ -= 1;
      co_return;
    }
    co_await sleep_for(
        std::chrono::milliseconds(static_cast<int>((1 - tokens_) * 1000 / kWritesPerSecond) + 1));
  }
}

awaitable<StatusWriter::Outcome> StatusWriter::patch(std::string target, std::string body,
                                                     std::string what) {
  co_await pace();
  auto res =
      co_await client_.request(http::verb::patch, target, body, "application/merge-patch+json");
  std::string why;
  if (!res) {
    why = res.error();
  } else if (res->status == 200) {
    log::info("kubernetes: status of " + what + " written");
    co_return Outcome::kDone;
  } else if (res->status == 404) {
    co_return Outcome::kDone;  // Deleted meanwhile.
  } else if (res->status == 409) {
    co_return Outcome::kStale;  // Changed meanwhile: the watch brings the new version.
  } else {
    why = "HTTP " + std::to_string(res->status) + ": " + res->body;
    if (res->status == 429) {
      // The API server asks us to slow down: pause for as long as it says (1 s by default).
      int seconds = std::atoi(res->header("Retry-After").c_str());
      co_await sleep_for(std::chrono::seconds(std::clamp(seconds, 1, 60)));
    }
  }
  if (why != last_error_) log::warn("kubernetes: status of " + what + ": " + why);
  last_error_ = why;
  co_return Outcome::kFailed;
}

awaitable<bool> StatusWriter::events(ObjectMeta meta, std::string kind,
                                     std::vector<std::string> problems,
                                     std::set<std::string>& due) {
  bool ok = true;
  for (const auto& problem : problems) {
    const std::string id = meta.uid + "|" + std::to_string(meta.generation) + "|" + problem;
    due.insert(id);
    if (evented_.count(id)) continue;
    // Named arguments, no temporaries in the co_await (GCC 12, see events.hpp).
    EventSubject subject{std::string(kGroup) + "/v1", kind, meta};
    std::string reason = "Rejected", controller = kControllerName;
    const std::string why = co_await post_warning(client_, std::move(subject), std::move(reason),
                                                  problem, std::move(controller), identity_);
    if (why.empty()) {
      evented_.insert(id);
    } else {
      if (why != last_error_) log::warn("kubernetes: event for " + meta.name + ": " + why);
      last_error_ = why;
      ok = false;
    }
  }
  co_return ok;
}

awaitable<bool> StatusWriter::sync() {
  // update() may replace the reports while we wait on the API: work on this copy.
  const auto classes = classes_;
  const auto gateways = gateways_;
  const auto routes = routes_;
  bool ok = true;
  std::set<std::string> due;
  // Writes one object's status unless it is as it should be, or was written over this
  // resourceVersion already.
  auto write = [&](std::string kind, ObjectMeta meta, bool changed,
                   std::string body) -> awaitable<void> {
    const std::string key = kind + " " + meta.ns + "/" + meta.name;
    if (!changed || !work_.leader()) co_return;
    if (auto w = written_.find(key); w != written_.end() && w->second == meta.resource_version) {
      co_return;
    }
    std::string target = object_path(kind, meta);
    const Outcome outcome = co_await patch(std::move(target), std::move(body), key);
    switch (outcome) {
      case Outcome::kDone:
      case Outcome::kStale:
        // Written, or refused as computed from an old version: either way nothing more is
        // written over this resourceVersion (a translation that ran before the watch brought
        // the new one would only be refused again).
        written_[key] = meta.resource_version;
        break;
      case Outcome::kFailed:
        ok = false;
        break;
    }
  };
  // Named arguments, no temporaries in a co_await (GCC 12, see events.hpp).
  for (const auto& c : classes) {
    std::string kind = "GatewayClass", body = class_status(c);
    co_await write(std::move(kind), c.meta, c.changed, std::move(body));
  }
  for (const auto& g : gateways) {
    std::string kind = "Gateway", body = gateway_status(g);
    co_await write(kind, g.meta, g.changed, std::move(body));
    if (work_.leader() && !co_await events(g.meta, kind, g.problems, due)) ok = false;
  }
  for (const auto& r : routes) {
    std::string body = route_status(r);
    co_await write(r.kind, r.meta, r.changed, std::move(body));
    if (work_.leader() && !co_await events(r.meta, r.kind, r.problems, due)) ok = false;
  }
  std::erase_if(evented_, [&](const std::string& id) { return !due.count(id); });
  co_return ok;
}

}  // namespace wharf::controller::kubernetes::gateway
