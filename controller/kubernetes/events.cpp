#include "controller/kubernetes/events.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>

#include "controller/kubernetes/api_time.hpp"

namespace wharf::controller::kubernetes {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

awaitable<std::string> post_warning(ApiClient& client, EventSubject subject, std::string reason,
                                    std::string message, std::string controller,
                                    std::string identity) {
  const auto now = std::chrono::system_clock::now();
  const std::string stamp = api_time(now, false);
  const ObjectMeta& meta = subject.meta;
  // Events live in the object's namespace; a cluster-scoped object's go to "default", as
  // client-go's recorder puts them.
  const std::string ns = meta.ns.empty() ? "default" : meta.ns;
  // Event names are unique per object and instant, as client-go makes them.
  char suffix[24];
  std::snprintf(
      suffix, sizeof suffix, ".%llx",
      static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count()));
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  put(w, "apiVersion", "v1");
  put(w, "kind", "Event");
  w.Key("metadata");
  w.StartObject();
  put(w, "name", meta.name + suffix);
  put(w, "namespace", ns);
  w.EndObject();
  w.Key("involvedObject");
  w.StartObject();
  put(w, "apiVersion", subject.api_version);
  put(w, "kind", subject.kind);
  if (!meta.ns.empty()) put(w, "namespace", meta.ns);
  put(w, "name", meta.name);
  put(w, "uid", meta.uid);
  put(w, "resourceVersion", meta.resource_version);
  w.EndObject();
  put(w, "type", "Warning");
  put(w, "reason", reason);
  put(w, "message", message);
  put(w, "firstTimestamp", stamp);
  put(w, "lastTimestamp", stamp);
  w.Key("count");
  w.Int(1);
  w.Key("source");
  w.StartObject();
  put(w, "component", "wharf-controller");
  w.EndObject();
  put(w, "reportingComponent", controller);
  put(w, "reportingInstance", identity);
  w.EndObject();
  auto res = co_await client.request(boost::beast::http::verb::post,
                                     "/api/v1/namespaces/" + ns + "/events", sb.GetString());
  if (res && (res->status == 201 || res->status == 200)) co_return std::string();
  co_return res ? "HTTP " + std::to_string(res->status) + ": " + res->body : res.error();
}

}  // namespace wharf::controller::kubernetes
