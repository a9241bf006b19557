#include "test_common/kube_api_fixture.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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

  const Collection* route(std::string_view path, std::string& ns) {
    for (const auto& c : kCollections) {
      std::string base = c.path;
      if (path == base + "/" + c.plural) return &c;
      std::string prefix = base + "/namespaces/";
      if (c.namespaced && path.starts_with(prefix)) {
        auto rest = path.substr(prefix.size());
        auto slash = rest.find('/');
        if (slash != std::string_view::npos && rest.substr(slash + 1) == c.plural) {
          ns = std::string(rest.substr(0, slash));
          return &c;
        }
      }
    }
    return nullptr;
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
    std::vector<const std::string*> items;
    for (const auto& [key, json] : objects[c.kind]) {
      if (ns.empty() || key.starts_with(ns + "/")) items.push_back(&json);
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
          if (e.rv <= sent || e.kind != c.kind || (!ns.empty() && e.ns != ns)) continue;
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
      std::string ns;
      const Collection* c = route(target.substr(0, target.find('?')), ns);
      http::response<http::string_body> res;
      res.version(11);
      res.set(http::field::content_type, "application/json");
      if (!c) {
        res.result(404);
        res.body() =
            R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404})";
      } else if (req.method() != http::verb::get) {
        res.result(405);
        res.body() =
            R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"MethodNotAllowed","code":405})";
      } else if (query_param(target, "watch") == "1" || query_param(target, "watch") == "true") {
        co_await watch(s, *c, ns, target);
        co_return;
      } else {
        unsigned status = 200;
        res.body() = list_body(*c, ns, target, status);
        res.result(status);
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
  auto& md = d["metadata"];
  std::string ns = md.HasMember("namespace") ? md["namespace"].GetString() : "";
  std::string key = ns + "/" + md["name"].GetString();
  std::lock_guard lock(impl_->mu);
  auto rv = ++impl_->rv;
  if (md.HasMember("resourceVersion")) md.RemoveMember("resourceVersion");
  md.AddMember("resourceVersion", rapidjson::Value(std::to_string(rv).c_str(), d.GetAllocator()),
               d.GetAllocator());
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  d.Accept(w);
  auto& store = impl_->objects[kind];
  bool existed = store.count(key) > 0;
  store[key] = sb.GetString();
  impl_->events.push_back({rv, kind, ns, existed ? "MODIFIED" : "ADDED", sb.GetString()});
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

std::vector<std::string> KubeApiFixture::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

}  // namespace wharf::test
