#include "controller/docker/docker_provider.hpp"

#include <rapidjson/document.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "controller/docker/container.hpp"
#include "controller/file/file_translator.hpp"
#include "controller/provider/middleware_files.hpp"
#include "log/log.hpp"

namespace wharf::controller::docker {

using model::Error;
using model::Result;
using model::Status;

namespace {

// {"type":["container","network"]}, URL-encoded: the daemon filters the rest out.
constexpr const char* kEventFilter =
    "?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D";

}  // namespace

std::optional<std::string> routing_event(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  const rapidjson::Value& d = doc;
  auto text = [](const rapidjson::Value& obj, const char* key) -> std::string_view {
    if (!obj.IsObject()) return {};
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || !it->value.IsString()) return {};
    return {it->value.GetString(), it->value.GetStringLength()};
  };
  std::string_view t = text(d, "Type"), a = text(d, "Action");
  static const rapidjson::Value kNone;
  auto actor_it = d.FindMember("Actor");
  const rapidjson::Value& actor = actor_it == d.MemberEnd() ? kNone : actor_it->value;
  if (t == "network") {
    if (a != "connect" && a != "disconnect") return std::nullopt;
    auto attrs = actor.IsObject() ? actor.FindMember("Attributes") : actor.MemberEnd();
    if (!actor.IsObject() || attrs == actor.MemberEnd()) return std::string();
    return std::string(text(attrs->value, "container"));
  }
  if (t != "container") return std::nullopt;
  static constexpr std::string_view kActions[] = {"create",  "start",  "restart", "die",
                                                  "stop",    "kill",   "destroy", "pause",
                                                  "unpause", "rename", "update"};
  bool relevant = a.starts_with("health_status");  // "health_status: healthy"
  for (auto k : kActions) relevant = relevant || a == k;
  if (!relevant) return std::nullopt;
  return std::string(text(actor, "ID"));
}

DockerProvider::DockerProvider(asio::any_io_executor ex, Endpoint endpoint,
                               TranslatorOptions options, Stats& stats, Sink sink)
    : client_(ex, std::move(endpoint)),
      options_(std::move(options)),
      stats_(stats),
      sink_(std::move(sink)),
      wake_(ex, std::chrono::steady_clock::time_point::max()) {}

void DockerProvider::mark_dirty(const std::string& container_id) {
  if (container_id.empty()) {
    stale_all_ = true;
  } else {
    stale_.insert(container_id);
  }
  dirty_ = true;
  wake_.cancel();
}

awaitable<Result<model::ProviderConfig>> DockerProvider::sync_once() {
  auto version = co_await client_.negotiate();
  if (!version) co_return Error{version.error()};
  stale_all_ = true;
  co_return co_await resync();
}

awaitable<Result<model::ProviderConfig>> DockerProvider::resync() {
  // Taken now: events arriving while this sync runs mark the next one.
  auto stale = std::move(stale_);
  stale_.clear();
  bool all = std::exchange(stale_all_, false);
  // On any failure the next attempt starts from scratch: the marks taken above are gone.
  auto fail = [this](std::string why) {
    stale_all_ = true;
    return Error{std::move(why)};
  };
  auto list = co_await client_.get("/containers/json?all=1");
  if (!list) co_return fail(list.error());
  auto summaries = parse_container_list(*list);
  if (!summaries) co_return fail(summaries.error());
  std::map<std::string, Container> fresh;
  for (const auto& s : *summaries) {
    if (!wants_routing(s.labels, options_)) continue;
    if (auto cached = cache_.find(s.id); !all && cached != cache_.end() && !stale.count(s.id)) {
      fresh.emplace(s.id, cached->second);
      continue;
    }
    auto body = co_await client_.get("/containers/" + s.id + "/json");
    if (!body) {
      // Removed between the list and the inspect: the destroy event triggers another sync.
      if (body.error().find("HTTP 404") != std::string::npos) continue;
      co_return fail(body.error());
    }
    auto c = parse_inspect(*body);
    if (!c) co_return fail(c.error());
    fresh.emplace(s.id, std::move(*c));
  }
  cache_ = std::move(fresh);
  std::vector<Container> containers;
  for (const auto& [id, c] : cache_) containers.push_back(c);
  auto config = translate(containers, options_);
  // usersFile labels name files on the controller's filesystem, as Traefik's name its own.
  inline_middleware_files(config, file::read_whole_file);
  co_return config;
}

awaitable<void> DockerProvider::sync_loop() {
  while (true) {
    if (!dirty_) {
      wake_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await wake_.async_wait(kNoThrow);
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none) co_return;
      continue;
    }
    dirty_ = false;
    auto config = co_await resync();
    if (!config) {
      stats_.add("provider_errors_total", "docker");
      log::warn("docker: sync failed: " + config.error());
      dirty_ = true;
      if (!co_await sleep_for(std::chrono::milliseconds(1000))) co_return;
      continue;
    }
    sink_(std::move(*config));
  }
}

awaitable<Status> DockerProvider::watch_events() {
  co_return co_await client_.events(
      kEventFilter, [this] { mark_dirty(""); },
      [this](std::string_view e) {
        stats_.add("provider_events_total", "docker");
        if (auto id = routing_event(e)) mark_dirty(*id);
      });
}

awaitable<void> DockerProvider::run() {
  using namespace asio::experimental::awaitable_operators;
  Backoff backoff;
  std::string last_error;
  const std::string& where = client_.endpoint().text;
  while (true) {
    auto version = co_await client_.negotiate();
    if (!version) {
      stats_.add("provider_errors_total", "docker");
      if (version.error() != last_error) {
        log::warn("docker: " + version.error() + "; retrying");
        last_error = version.error();
      }
      if (!co_await sleep_for(backoff.next())) co_return;
      continue;
    }
    log::info("docker: connected to " + where + " (API " + *version + ")");
    last_error.clear();
    backoff.reset();
    // The event stream is opened first and the full sync runs once it is (on_open marks the
    // state dirty), so no change between the list and the watch is lost. When the stream
    // breaks, the sync loop is cancelled and everything starts over after a pause.
    auto result = co_await (watch_events() || sync_loop());
    if (result.index() == 0) {
      const auto& r = std::get<0>(result);
      std::string why = "event stream closed";
      if (!r) why = r.error();
      log::warn("docker: " + why + "; reconnecting");
    }
    if (!co_await sleep_for(backoff.next())) co_return;
  }
}

}  // namespace wharf::controller::docker
