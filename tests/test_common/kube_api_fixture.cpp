#include "test_common/kube_api_fixture.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace wharf::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Collection {
  const char* kind;
  const char* group_version;  // "networking.k8s.io/v1" or "v1"
  const char* path;           // "/apis/networking.k8s.io/v1" or "/api/v1"
  const char* plural;
  bool namespaced;
};
constexpr Collection kCollections[] = {
    {"IngressClass", "networking.k8s.io/v1", "/apis/networking.k8s.io/v1", "ingressclasses", false},
    {"Ingress", "networking.k8s.io/v1", "/apis/networking.k8s.io/v1", "ingresses", true},
    {"Service", "v1", "/api/v1", "services", true},
    {"EndpointSlice", "discovery.k8s.io/v1", "/apis/discovery.k8s.io/v1", "endpointslices", true},
    {"Secret", "v1", "/api/v1", "secrets", true},
    {"ConfigMap", "v1", "/api/v1", "configmaps", true},
    {"Lease", "coordination.k8s.io/v1", "/apis/coordination.k8s.io/v1", "leases", true},
    {"Namespace", "v1", "/api/v1", "namespaces", false},
    {"GatewayClass", "gateway.networking.k8s.io/v1", "/apis/gateway.networking.k8s.io/v1",
     "gatewayclasses", false},
    {"Gateway", "gateway.networking.k8s.io/v1", "/apis/gateway.networking.k8s.io/v1", "gateways",
     true},
    {"HTTPRoute", "gateway.networking.k8s.io/v1", "/apis/gateway.networking.k8s.io/v1",
     "httproutes", true},
    {"GRPCRoute", "gateway.networking.k8s.io/v1", "/apis/gateway.networking.k8s.io/v1",
     "grpcroutes", true},
    {"ReferenceGrant", "gateway.networking.k8s.io/v1beta1",
     "/apis/gateway.networking.k8s.io/v1beta1", "referencegrants", true},
    {"Event", "v1", "/api/v1", "events", true},
};

// What a request path names: a collection (all or one namespace), or one object in it, or that
// object's status subresource.
struct Route {
  const Collection* collection = nullptr;
  std::string ns, name;
  bool status = false;
};

struct Event {
  std::uint64_t rv;
  std::string kind, ns, type, object;
};

std::string query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto kv = rest.substr(0, amp);
    auto eq = kv.find('=');
    if (kv.substr(0, eq) == name)
      return eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string json_of(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}

std::string field(const rapidjson::Value& obj, const std::string& path) {
  const rapidjson::Value* v = &obj;
  std::string_view rest = path;
  while (!rest.empty()) {
    auto dot = rest.find('.');
    std::string key(rest.substr(0, dot));
    if (!v->IsObject() || !v->HasMember(key.c_str())) return {};
    v = &(*v)[key.c_str()];
    rest = dot == std::string_view::npos ? "" : rest.substr(dot + 1);
  }
  return v->IsString() ? v->GetString() : "";
}

// fieldSelector "type=kubernetes.io/tls,metadata.name=x" (the fields the API supports for the
// kinds served here): every term must hold.
bool selected(const std::string& json, const std::string& selector) {
  if (selector.empty()) return true;
  rapidjson::Document d;
  d.Parse(json.c_str());
  std::string_view rest = selector;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto term = rest.substr(0, comma);
    auto eq = term.find('=');
    if (field(d, std::string(term.substr(0, eq))) != term.substr(eq + 1)) return false;
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
  }
  return true;
}

// RFC 7386 JSON merge patch.
void merge_patch(rapidjson::Value& target, const rapidjson::Value& patch,
                 rapidjson::Document::AllocatorType& a) {
  if (!patch.IsObject()) {
    target.CopyFrom(patch, a);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (const auto& m : patch.GetObject()) {
    const char* key = m.name.GetString();
    if (m.value.IsNull()) {
      if (target.HasMember(key)) target.RemoveMember(key);
    } else if (target.HasMember(key)) {
      merge_patch(target[key], m.value, a);
    } else {
      rapidjson::Value v;
      merge_patch(v, m.value, a);
      target.AddMember(rapidjson::Value(key, a), v, a);
    }
  }
}

std::string status_body(unsigned code, const char* reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":")" +
         std::string(reason) + R"(","message":")" + message + R"(","code":)" +
         std::to_string(code) + "}";
}

std::string chunk(std::string_view data) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

}  // namespace

struct KubeApiFixture::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::thread thread;

  mutable std::mutex mu;
  std::uint64_t rv = 1000;
  std::uint64_t oldest = 1000;   // Oldest resourceVersion a watch may resume from.
  std::uint64_t generation = 0;  // Bumped to cut every open watch.
  std::chrono::steady_clock::time_point down_until{};  // "Restarting": connections are dropped.
  std::map<std::string, std::map<std::string, std::string>> objects;  // kind → ns/name → JSON
  std::vector<Event> events;
  std::vector<std::string> requests;
  std::map<std::string, std::string> races;  // kind → merge patch applied before its next PUT
  std::size_t conflicts = 0;
  std::vector<std::string> hidden;  // Paths answered 404 (CRDs not installed).

  void listen() {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(64);
    port = acceptor.local_endpoint().port();
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, s] = co_await acceptor.async_accept(kNoThrow);
      if (ec) co_return;
      asio::co_spawn(io, session(beast::tcp_stream(std::move(s))), asio::detached);
    }
  }

  static Route route(std::string_view path) {
    Route r;
    for (const auto& c : kCollections) {
      std::string base = c.path;
      if (path == base + "/" + c.plural) {
        r.collection = &c;
        return r;
      }
      if (!c.namespaced && path.starts_with(base + "/" + c.plural + "/")) {
        // <plural>/<name>[/status] of a cluster-scoped kind.
        std::string_view rest = path.substr(base.size() + std::strlen(c.plural) + 2);
        auto slash = rest.find('/');
        if (rest.empty() || (slash != std::string_view::npos && rest.substr(slash) != "/status")) {
          continue;
        }
        r.collection = &c;
        r.name = std::string(rest.substr(0, slash));
        r.status = slash != std::string_view::npos;
        return r;
      }
      std::string prefix = base + "/namespaces/";
      if (!c.namespaced || !path.starts_with(prefix)) continue;
      // <ns>/<plural>[/<name>[/status]]
      std::vector<std::string> parts;
      std::string_view rest = path.substr(prefix.size());
      while (!rest.empty()) {
        auto slash = rest.find('/');
        parts.emplace_back(rest.substr(0, slash));
        rest = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
      }
      if (parts.size() < 2 || parts.size() > 4 || parts[1] != c.plural) continue;
      if (parts.size() == 4 && parts[3] != "status") continue;
      r.collection = &c;
      r.ns = parts[0];
      if (parts.size() >= 3) r.name = parts[2];
      r.status = parts.size() == 4;
      return r;
    }
    return r;
  }

  // Another writer gets in first (see race_next_update): the object changes now, so the
  // request about to be handled carries a stale resourceVersion, exactly as when two replicas
  // race. Callers hold `mu`.
  template <typename It>
  void lose_race(const std::string& kind, const std::string& key, It& found) {
    auto race = races.find(kind);
    if (race == races.end()) return;
    rapidjson::Document won, patch;
    won.Parse(found->second.c_str());
    patch.Parse(race->second.c_str());
    merge_patch(won, patch, won.GetAllocator());
    races.erase(race);
    store(kind, won);
    found = objects[kind].find(key);
  }

  // Stores an object (JSON text) the way the API server does: a new resourceVersion from the
  // shared counter, uid and generation kept across updates, an ADDED/MODIFIED event.
  // Callers hold `mu`.
  std::string store(const std::string& kind, rapidjson::Document& d) {
    auto& md = d["metadata"];
    std::string ns = md.HasMember("namespace") ? md["namespace"].GetString() : "";
    std::string key = ns + "/" + md["name"].GetString();
    auto& a = d.GetAllocator();
    auto& objects_of_kind = objects[kind];
    auto old = objects_of_kind.find(key);
    rapidjson::Document prev;
    if (old != objects_of_kind.end()) prev.Parse(old->second.c_str());
    const bool existed = old != objects_of_kind.end();
    auto set = [&](const char* name, rapidjson::Value v) {
      if (md.HasMember(name)) md.RemoveMember(name);
      md.AddMember(rapidjson::StringRef(name), v, a);
    };
    auto rv_now = ++rv;
    set("resourceVersion", rapidjson::Value(std::to_string(rv_now).c_str(), a));
    std::string uid = existed ? field(prev, "metadata.uid") : "uid-" + std::to_string(rv_now);
    set("uid", rapidjson::Value(uid.c_str(), a));
    std::int64_t gen = 1;
    if (existed) {
      gen =
          prev["metadata"].HasMember("generation") ? prev["metadata"]["generation"].GetInt64() : 1;
      bool same_spec = d.HasMember("spec") && prev.HasMember("spec") && d["spec"] == prev["spec"];
      if (!same_spec) ++gen;
    }
    set("generation", rapidjson::Value(gen));
    std::string json = json_of(d);
    objects_of_kind[key] = json;
    events.push_back({rv_now, kind, ns, existed ? "MODIFIED" : "ADDED", json});
    return json;
  }

  // Everything but watches: GET of lists and objects, POST (create), PUT (replace, 409 when the
  // given resourceVersion is not the current one), PATCH (merge patch) of an object or its status.
  unsigned handle(const http::request<http::string_body>& req, const Route& r, std::string& body) {
    const std::string target(req.target());
    const Collection& c = *r.collection;
    if (req.method() == http::verb::get && r.name.empty()) {
      unsigned status = 200;
      body = list_body(c, r.ns, target, status);
      return status;
    }
    std::lock_guard lock(mu);
    auto& objects_of_kind = objects[c.kind];
    const std::string key = r.ns + "/" + r.name;
    auto found = objects_of_kind.find(key);
    auto not_found = [&] {
      body = status_body(404, "NotFound", std::string(c.plural) + " \"" + r.name + "\" not found");
      return 404u;
    };
    rapidjson::Document d;
    if (req.method() != http::verb::get) {
      d.Parse(req.body().c_str());
      if (d.HasParseError() || !d.IsObject()) {
        body = status_body(400, "BadRequest", "invalid JSON body");
        return 400;
      }
    }
    switch (req.method()) {
      case http::verb::get:
        if (found == objects_of_kind.end()) return not_found();
        body = found->second;
        return 200;
      case http::verb::post: {
        if (!r.name.empty() || !d.HasMember("metadata") || field(d, "metadata.name").empty()) {
          body = status_body(400, "BadRequest", "POST needs a collection and metadata.name");
          return 400;
        }
        std::string name = field(d, "metadata.name");
        if (objects_of_kind.count(r.ns + "/" + name)) {
          body = status_body(409, "AlreadyExists",
                             std::string(c.plural) + " \"" + name + "\" already exists");
          return 409;
        }
        if (!d["metadata"].HasMember("namespace"))
          d["metadata"].AddMember("namespace", rapidjson::Value(r.ns.c_str(), d.GetAllocator()),
                                  d.GetAllocator());
        body = store(c.kind, d);
        return 201;
      }
      case http::verb::put: {
        if (found == objects_of_kind.end()) return not_found();
        lose_race(c.kind, key, found);
        rapidjson::Document cur;
        cur.Parse(found->second.c_str());
        auto given = field(d, "metadata.resourceVersion");
        if (!given.empty() && given != field(cur, "metadata.resourceVersion")) {
          ++conflicts;
          body = status_body(409, "Conflict",
                             "Operation cannot be fulfilled on " + std::string(c.plural) + " \"" +
                                 r.name +
                                 "\": the object has been modified; please apply your changes "
                                 "to the latest version and try again");
          return 409;
        }
        if (r.status) {
          // The status subresource: only the status is replaced; the spec (and generation)
          // stay as they are.
          if (cur.HasMember("status")) cur.RemoveMember("status");
          if (d.HasMember("status")) {
            rapidjson::Value status(d["status"], cur.GetAllocator());
            cur.AddMember("status", status, cur.GetAllocator());
          }
          body = store(c.kind, cur);
          return 200;
        }
        body = store(c.kind, d);
        return 200;
      }
      case http::verb::patch: {
        if (found == objects_of_kind.end()) return not_found();
        if (req[http::field::content_type] != "application/merge-patch+json") {
          body = status_body(415, "UnsupportedMediaType", "this fixture takes merge patches only");
          return 415;
        }
        lose_race(c.kind, key, found);
        rapidjson::Document cur;
        cur.Parse(found->second.c_str());
        // A resourceVersion in the patch is a precondition, as the API server takes it.
        if (auto given = field(d, "metadata.resourceVersion");
            !given.empty() && given != field(cur, "metadata.resourceVersion")) {
          ++conflicts;
          body = status_body(409, "Conflict",
                             "Operation cannot be fulfilled on " + std::string(c.plural) + " \"" +
                                 r.name + "\": the object has been modified");
          return 409;
        }
        if (!r.status) {
          // The object itself (Secret data): everything but the identity in metadata.
          if (d.HasMember("metadata")) d.RemoveMember("metadata");
          merge_patch(cur, d, cur.GetAllocator());
        } else if (d.HasMember("status")) {
          // The status subresource ignores everything but status.
          if (!cur.HasMember("status"))
            cur.AddMember("status", rapidjson::Value(rapidjson::kObjectType), cur.GetAllocator());
          merge_patch(cur["status"], d["status"], cur.GetAllocator());
        }
        body = store(c.kind, cur);
        return 200;
      }
      default:
        body = status_body(405, "MethodNotAllowed", "method not allowed");
        return 405;
    }
  }

  std::string list_body(const Collection& c, const std::string& ns, std::string_view target,
                        unsigned& status) {
    std::lock_guard lock(mu);
    std::size_t limit = 0, offset = 0;
    if (auto l = query_param(target, "limit"); !l.empty()) limit = std::stoul(l);
    std::uint64_t list_rv = rv;
    if (auto cont = query_param(target, "continue"); !cont.empty()) {
      // Our continue token: "<list rv>-<offset>"; expired once compacted past it.
      list_rv = std::stoull(cont.substr(0, cont.find('-')));
      offset = std::stoul(cont.substr(cont.find('-') + 1));
      if (list_rv < oldest) {
        status = 410;
        return R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410,"message":"The provided continue parameter is too old"})";
      }
    }
    const std::string selector = url_decode(query_param(target, "fieldSelector"));
    std::vector<const std::string*> items;
    for (const auto& [key, json] : objects[c.kind]) {
      if ((ns.empty() || key.starts_with(ns + "/")) && selected(json, selector))
        items.push_back(&json);
    }
    std::string out = std::string(R"({"kind":")") + c.kind + R"(List","apiVersion":")" +
                      c.group_version + R"(","metadata":{"resourceVersion":")" +
                      std::to_string(list_rv) + "\"";
    std::size_t end = limit ? std::min(items.size(), offset + limit) : items.size();
    if (end < items.size())
      out += R"(,"continue":")" + std::to_string(list_rv) + "-" + std::to_string(end) + "\"";
    out += R"(},"items":[)";
    for (std::size_t i = offset; i < end; ++i) {
      // Items of a typed list carry no kind, like the real API's.
      rapidjson::Document d;
      d.Parse(items[i]->c_str());
      d.RemoveMember("kind");
      d.RemoveMember("apiVersion");
      rapidjson::StringBuffer sb;
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      d.Accept(w);
      out += (i > offset ? "," : "") + std::string(sb.GetString());
    }
    out += "]}";
    status = 200;
    return out;
  }

  asio::awaitable<void> watch(beast::tcp_stream& s, const Collection& c, std::string ns,
                              std::string_view target) {
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    auto [hec, hn] = co_await asio::async_write(s, asio::buffer(head), kNoThrow);
    if (hec) co_return;
    std::uint64_t from = std::stoull(query_param(target, "resourceVersion").empty()
                                         ? "0"
                                         : query_param(target, "resourceVersion"));
    bool bookmarks = query_param(target, "allowWatchBookmarks") == "true";
    const std::string selector = url_decode(query_param(target, "fieldSelector"));
    std::uint64_t gen, oldest_now;
    {
      std::lock_guard lock(mu);
      gen = generation;
      oldest_now = oldest;
    }
    if (from < oldest_now) {
      // What the API server sends for a resourceVersion outside its window: a 200 stream with
      // one ERROR event carrying a 410 Status.
      std::string err =
          std::string(R"x({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1",)x") +
          R"x("metadata":{},"status":"Failure","message":"too old resource version: )x" +
          std::to_string(from) + " (" + std::to_string(oldest_now) +
          R"x()","reason":"Expired","code":410}})x" + "\n";
      std::string out = chunk(err) + "0\r\n\r\n";
      co_await asio::async_write(s, asio::buffer(out), kNoThrow);
      co_return;
    }
    std::uint64_t sent = from;
    auto last_bookmark = std::chrono::steady_clock::now();
    asio::steady_timer tick(io);
    while (true) {
      std::string out;
      {
        std::lock_guard lock(mu);
        if (generation != gen) break;
        for (const auto& e : events) {
          if (e.rv <= sent || e.kind != c.kind || (!ns.empty() && e.ns != ns) ||
              !selected(e.object, selector)) {
            continue;
          }
          std::string line = R"({"type":")" + e.type + R"(","object":)" + e.object + "}\n";
          // Split every event across two chunks: clients must not assume one event per chunk.
          out += chunk(std::string_view(line).substr(0, line.size() / 2));
          out += chunk(std::string_view(line).substr(line.size() / 2));
        }
        if (!events.empty()) sent = std::max(sent, events.back().rv);
        if (bookmarks &&
            std::chrono::steady_clock::now() - last_bookmark > std::chrono::seconds(1)) {
          out += chunk(std::string(R"({"type":"BOOKMARK","object":{"kind":")") + c.kind +
                       R"(","apiVersion":")" + c.group_version +
                       R"(","metadata":{"resourceVersion":")" + std::to_string(std::max(sent, rv)) +
                       "\"}}}\n");
          last_bookmark = std::chrono::steady_clock::now();
        }
      }
      if (!out.empty()) {
        auto [ec, n] = co_await asio::async_write(s, asio::buffer(out), kNoThrow);
        if (ec) co_return;
      }
      tick.expires_after(std::chrono::milliseconds(10));
      co_await tick.async_wait(kNoThrow);
    }
    // Cut: end the stream the way a server shutting a watch does.
    std::string end = "0\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(end), kNoThrow);
  }

  // Discovery: GET /apis/<group>/<version> lists the resources served there (APIResourceList),
  // which is how a client learns whether a CRD is installed.
  static bool is_group_version(std::string_view path) {
    for (const auto& c : kCollections) {
      if (path == c.path) return true;
    }
    return false;
  }
  static std::string resource_list(std::string_view path) {
    std::string gv, items;
    for (const auto& c : kCollections) {
      if (path != c.path) continue;
      gv = c.group_version;
      if (!items.empty()) items += ",";
      items += std::string(R"({"name":")") + c.plural + R"(","namespaced":)" +
               (c.namespaced ? "true" : "false") + R"(,"kind":")" + c.kind +
               R"(","verbs":["get","list","watch","create","update","patch","delete"]})";
      items += std::string(R"(,{"name":")") + c.plural + R"(/status","namespaced":)" +
               (c.namespaced ? "true" : "false") + R"(,"kind":")" + c.kind +
               R"(","verbs":["get","patch","update"]})";
    }
    return R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":")" + gv +
           R"(","resources":[)" + items + "]}";
  }

  asio::awaitable<void> session(beast::tcp_stream s) {
    {
      std::lock_guard lock(mu);
      if (std::chrono::steady_clock::now() < down_until) co_return;  // closed unanswered
    }
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(s, buf, req, kNoThrow);
      if (ec) co_return;
      std::string target(req.target());
      {
        std::lock_guard lock(mu);
        requests.push_back(std::string(req.method_string()) + " " + target);
      }
      const std::string path = target.substr(0, target.find('?'));
      Route r = route(path);
      bool hidden_path = false;
      {
        std::lock_guard lock(mu);
        for (const auto& h : hidden) hidden_path = hidden_path || path.starts_with(h);
      }
      http::response<http::string_body> res;
      res.version(11);
      res.set(http::field::content_type, "application/json");
      if (hidden_path) {
        res.result(404);
        res.body() =
            status_body(404, "NotFound", "the server could not find the requested resource");
      } else if (!r.collection && req.method() == http::verb::get && is_group_version(path)) {
        res.result(200);
        res.body() = resource_list(path);
      } else if (!r.collection) {
        res.result(404);
        res.body() =
            status_body(404, "NotFound", "the server could not find the requested resource");
      } else if (req.method() == http::verb::get && r.name.empty() &&
                 (query_param(target, "watch") == "1" || query_param(target, "watch") == "true")) {
        co_await watch(s, *r.collection, r.ns, target);
        co_return;
      } else {
        res.result(handle(req, r, res.body()));
      }
      res.prepare_payload();
      auto [wec, w] = co_await http::async_write(s, res, kNoThrow);
      if (wec) co_return;
    }
  }
};

KubeApiFixture::KubeApiFixture() : impl_(std::make_unique<Impl>()) {
  impl_->listen();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

KubeApiFixture::~KubeApiFixture() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t KubeApiFixture::port() const {
  return impl_->port;
}

std::string KubeApiFixture::write_kubeconfig(const std::string& dir) const {
  std::string path = dir + "/kubeconfig";
  std::ofstream(path)
      << "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
         "clusters:\n- name: fixture\n  cluster:\n    server: "
      << url()
      << "\n"
         "contexts:\n- name: test\n  context:\n    cluster: fixture\n    user: tester\n"
         "users:\n- name: tester\n  user:\n    token: fixture-token\n";
  return path;
}

void KubeApiFixture::apply(const std::string& object_json) {
  rapidjson::Document d;
  d.Parse(object_json.c_str());
  std::string kind = d["kind"].GetString();
  std::lock_guard lock(impl_->mu);
  // Like `kubectl apply`: the status (written through the subresource) survives a spec update
  // that does not mention it.
  auto& md = d["metadata"];
  std::string key = (md.HasMember("namespace") ? md["namespace"].GetString() : std::string()) +
                    "/" + md["name"].GetString();
  auto old = impl_->objects[kind].find(key);
  if (!d.HasMember("status") && old != impl_->objects[kind].end()) {
    rapidjson::Document prev;
    prev.Parse(old->second.c_str());
    if (prev.HasMember("status")) {
      rapidjson::Value status(prev["status"], d.GetAllocator());
      d.AddMember("status", status, d.GetAllocator());
    }
  }
  impl_->store(kind, d);
}

std::optional<std::string> KubeApiFixture::get(const std::string& kind, const std::string& ns,
                                               const std::string& name) const {
  std::lock_guard lock(impl_->mu);
  auto& of_kind = impl_->objects[kind];
  auto it = of_kind.find(ns + "/" + name);
  if (it == of_kind.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> KubeApiFixture::list(const std::string& kind) const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [key, json] : impl_->objects[kind]) out.push_back(json);
  return out;
}

void KubeApiFixture::remove(const std::string& kind, const std::string& ns,
                            const std::string& name) {
  std::lock_guard lock(impl_->mu);
  auto& store = impl_->objects[kind];
  auto it = store.find(ns + "/" + name);
  if (it == store.end()) return;
  auto rv = ++impl_->rv;
  impl_->events.push_back({rv, kind, ns, "DELETED", it->second});
  store.erase(it);
}

void KubeApiFixture::compact() {
  std::lock_guard lock(impl_->mu);
  impl_->oldest = impl_->rv + 1;
  impl_->events.clear();
  ++impl_->generation;
}

void KubeApiFixture::restart(int down_ms) {
  std::lock_guard lock(impl_->mu);
  impl_->oldest = impl_->rv + 1;
  impl_->events.clear();
  ++impl_->generation;
  impl_->down_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(down_ms);
}

void KubeApiFixture::race_next_update(const std::string& kind, const std::string& patch) {
  std::lock_guard lock(impl_->mu);
  impl_->races[kind] = patch;
}

void KubeApiFixture::hide(const std::string& path) {
  std::lock_guard lock(impl_->mu);
  impl_->hidden.push_back(path);
}

std::size_t KubeApiFixture::conflicts() const {
  std::lock_guard lock(impl_->mu);
  return impl_->conflicts;
}

std::vector<std::string> KubeApiFixture::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

}  // namespace wharf::test
