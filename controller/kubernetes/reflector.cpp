#include "controller/kubernetes/reflector.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "log/log.hpp"

namespace wharf::controller::kubernetes {
namespace {

using model::Error;
using model::Result;
using model::Status;
using rapidjson::Value;

constexpr int kPageSize = 500;
constexpr int kWatchTimeoutSeconds = 300;

std::string str(const Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

std::string key_of(const Value& obj) {
  auto md = obj.FindMember("metadata");
  if (md == obj.MemberEnd()) return {};
  return str(md->value, "namespace") + "/" + str(md->value, "name");
}

std::string resource_version_of(const Value& obj) {
  auto md = obj.FindMember("metadata");
  return md == obj.MemberEnd() ? std::string() : str(md->value, "resourceVersion");
}

// The object as JSON text, with `kind` filled in (list items and watch objects of typed lists
// may lack it; the translator dispatches on it).
std::string serialize(Value& obj, const std::string& kind, rapidjson::Document::AllocatorType& a) {
  if (!obj.HasMember("kind")) obj.AddMember("kind", Value(kind.c_str(), a), a);
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  obj.Accept(w);
  return {sb.GetString(), sb.GetSize()};
}

std::string url_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace

Reflector::Reflector(ApiClient& client, std::string kind, std::string collection,
                     std::function<void()> on_change, std::string selector)
    : client_(client),
      kind_(std::move(kind)),
      collection_(std::move(collection)),
      selector_(std::move(selector)),
      on_change_(std::move(on_change)) {}

awaitable<Status> Reflector::list() {
  std::map<std::string, std::string> fresh;
  std::string cont, version;
  while (true) {
    std::string target = collection_ + "?limit=" + std::to_string(kPageSize);
    if (!selector_.empty()) target += "&" + selector_;
    if (!cont.empty()) target += "&continue=" + url_escape(cont);
    auto res = co_await client_.request(boost::beast::http::verb::get, target);
    if (!res) co_return Error{res.error()};
    if (res->status == 410 && !cont.empty()) {
      // The continue token expired between pages: start the list over.
      cont.clear();
      fresh.clear();
      continue;
    }
    if (res->status != 200) {
      co_return Error{"list " + collection_ + ": HTTP " + std::to_string(res->status) + ": " +
                      res->body.substr(0, 300)};
    }
    rapidjson::Document doc;
    doc.Parse(res->body.data(), res->body.size());
    if (doc.HasParseError() || !doc.IsObject())
      co_return Error{"list " + collection_ + ": invalid JSON"};
    if (doc.HasMember("items") && doc["items"].IsArray()) {
      for (auto& item : doc["items"].GetArray()) {
        auto key = key_of(item);
        fresh[key] = serialize(item, kind_, doc.GetAllocator());
      }
    }
    const Value& list = doc;  // const: RapidJSON's non-const iterators trip C++20's == rules
    cont.clear();
    if (list.HasMember("metadata")) {
      cont = str(list["metadata"], "continue");
      version = str(list["metadata"], "resourceVersion");
    }
    if (cont.empty()) break;
  }
  objects_ = std::move(fresh);
  resource_version_ = version;
  synced_ = true;
  on_change_();
  co_return model::kOk;
}

void Reflector::apply_event(std::string_view line, bool& gone) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  if (doc.HasParseError() || !doc.IsObject()) return;
  const std::string type = str(doc, "type");
  if (!doc.HasMember("object") || !doc["object"].IsObject()) return;
  Value& object = doc["object"];
  if (type == "ERROR") {
    // A Status object; 410 means our resourceVersion fell out of the server's window.
    if (object.HasMember("code") && object["code"].IsInt() && object["code"].GetInt() == 410)
      gone = true;
    log::warn("kubernetes: watch " + collection_ + ": " + str(object, "message"));
    return;
  }
  if (auto rv = resource_version_of(object); !rv.empty()) resource_version_ = rv;
  if (type == "BOOKMARK") return;
  auto key = key_of(object);
  if (type == "ADDED" || type == "MODIFIED") {
    objects_[key] = serialize(object, kind_, doc.GetAllocator());
  } else if (type == "DELETED") {
    objects_.erase(key);
  } else {
    return;
  }
  on_change_();
}

awaitable<Result<bool>> Reflector::watch() {
  std::string target = collection_ + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=" +
                       std::to_string(kWatchTimeoutSeconds) +
                       "&resourceVersion=" + url_escape(resource_version_);
  if (!selector_.empty()) target += "&" + selector_;
  bool gone = false;
  auto r = co_await client_.stream(target, [&](std::string_view line) { apply_event(line, gone); });
  if (gone || (!r && r.error().find("HTTP 410") != std::string::npos)) co_return false;
  if (!r) co_return Error{r.error()};
  co_return true;
}

awaitable<void> Reflector::run() {
  Backoff backoff;
  std::string last_error;
  // Each distinct failure is logged once, not once per retry.
  auto failed = [&](const std::string& why) {
    if (why != last_error) log::warn("kubernetes: " + why + "; retrying");
    last_error = why;
  };
  bool need_list = true;
  while (true) {
    if (need_list) {
      auto listed = co_await list();
      if (!listed) {
        failed(listed.error());
        if (!co_await sleep_for(backoff.next())) co_return;
        continue;
      }
      need_list = false;
    }
    auto watched = co_await watch();
    if (!watched) {
      failed(watched.error());
      if (!co_await sleep_for(backoff.next())) co_return;
      continue;
    }
    last_error.clear();
    backoff.reset();
    if (!*watched) {
      log::info("kubernetes: " + collection_ + ": resourceVersion " + resource_version_ +
                " expired (410); listing again");
      need_list = true;
    }
  }
}

}  // namespace wharf::controller::kubernetes
