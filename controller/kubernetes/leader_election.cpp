#include "controller/kubernetes/leader_election.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <random>

#include "controller/kubernetes/api_time.hpp"
#include "log/log.hpp"

namespace wharf::controller::kubernetes {
namespace {

namespace http = boost::beast::http;

std::string member_string(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject() || !obj.HasMember(key) || !obj[key].IsString()) return {};
  return obj[key].GetString();
}

std::int64_t member_int(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject() || !obj.HasMember(key) || !obj[key].IsInt64()) return 0;
  return obj[key].GetInt64();
}

}  // namespace

LeaderElector::LeaderElector(ApiClient& client, ElectionOptions options,
                             std::function<void(bool)> on_change)
    : client_(client), opt_(std::move(options)), on_change_(std::move(on_change)) {}

std::string LeaderElector::path(bool item) const {
  std::string p = "/apis/coordination.k8s.io/v1/namespaces/" + opt_.lease_namespace + "/leases";
  return item ? p + "/" + opt_.lease_name : p;
}

std::string LeaderElector::lease_json(const std::string& resource_version,
                                      const std::string& holder, const std::string& acquire_time,
                                      std::int64_t transitions) const {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("apiVersion");
  w.String("coordination.k8s.io/v1");
  w.Key("kind");
  w.String("Lease");
  w.Key("metadata");
  w.StartObject();
  w.Key("name");
  w.String(opt_.lease_name.c_str());
  w.Key("namespace");
  w.String(opt_.lease_namespace.c_str());
  if (!resource_version.empty()) {
    // The optimistic lock: the API server answers 409 if the Lease changed since we read it.
    w.Key("resourceVersion");
    w.String(resource_version.c_str());
  }
  w.EndObject();
  w.Key("spec");
  w.StartObject();
  w.Key("holderIdentity");
  w.String(holder.c_str());
  w.Key("leaseDurationSeconds");
  // Released leases say 1 s, like client-go, so followers do not wait out a full term.
  w.Int64(
      holder.empty()
          ? 1
          : std::max<std::int64_t>(
                1, std::chrono::duration_cast<std::chrono::seconds>(opt_.lease_duration).count()));
  w.Key("acquireTime");
  w.String(acquire_time.c_str());
  w.Key("renewTime");
  w.String(api_time(std::chrono::system_clock::now(), true).c_str());
  w.Key("leaseTransitions");
  w.Int64(transitions);
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

awaitable<LeaderElector::Attempt> LeaderElector::try_acquire_or_renew() {
  auto fail = [this](const std::string& why) {
    if (why != last_error_) log::warn("kubernetes: leader election: " + why);
    last_error_ = why;
    return Attempt::kFailed;
  };
  const auto now = std::chrono::steady_clock::now();
  const std::string now_time = api_time(std::chrono::system_clock::now(), true);
  auto got = co_await client_.request(http::verb::get, path(true));
  if (!got) co_return fail(got.error());
  if (got->status == 404) {
    auto made = co_await client_.request(http::verb::post, path(false),
                                         lease_json("", opt_.identity, now_time, 0));
    if (!made) co_return fail(made.error());
    if (made->status == 409) co_return Attempt::kFailed;  // Another replica created it first.
    if (made->status != 200 && made->status != 201) {
      co_return fail("create lease: HTTP " + std::to_string(made->status) + ": " + made->body);
    }
    remember(made->body, now_time, 0);
    co_return Attempt::kHeld;
  }
  if (got->status != 200) {
    co_return fail("get lease: HTTP " + std::to_string(got->status) + ": " + got->body);
  }
  rapidjson::Document d;
  d.Parse(got->body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("metadata")) {
    co_return fail("get lease: invalid JSON");
  }
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const rapidjson::Value& spec = d.HasMember("spec") ? d["spec"] : kEmpty;
  const std::string holder = member_string(spec, "holderIdentity");
  const std::string rv = member_string(d["metadata"], "resourceVersion");
  const std::int64_t duration_s = member_int(spec, "leaseDurationSeconds");
  const std::int64_t transitions = member_int(spec, "leaseTransitions");
  // Whether the holder still renews is judged by when *we* saw the record change.
  std::string record = holder + "|" + member_string(spec, "renewTime") + "|" + rv;
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = now;
  }
  if (!holder.empty() && holder != opt_.identity &&
      now < observed_at_ + std::chrono::seconds(duration_s)) {
    co_return Attempt::kHeldByOther;
  }
  const bool ours = holder == opt_.identity;
  std::string acquire = ours ? member_string(spec, "acquireTime") : now_time;
  auto put = co_await client_.request(
      http::verb::put, path(true),
      lease_json(rv, opt_.identity, acquire, ours ? transitions : transitions + 1));
  if (!put) co_return fail(put.error());
  if (put->status == 409) {
    // Someone else wrote the Lease since we read it: read it again next round.
    log::debug("kubernetes: leader election: lease changed under us (409), retrying");
    co_return Attempt::kFailed;
  }
  if (put->status != 200) {
    co_return fail("update lease: HTTP " + std::to_string(put->status) + ": " + put->body);
  }
  remember(put->body, acquire, ours ? transitions : transitions + 1);
  co_return Attempt::kHeld;
}

void LeaderElector::remember(const std::string& lease, const std::string& acquire_time,
                             std::int64_t transitions) {
  rapidjson::Document d;
  d.Parse(lease.c_str());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("metadata")) {
    resource_version_ = member_string(d["metadata"], "resourceVersion");
  }
  acquire_time_ = acquire_time;
  transitions_ = transitions;
  last_error_.clear();
}

void LeaderElector::set_leader(bool leader) {
  if (leader == leader_) return;
  leader_ = leader;
  log::info("kubernetes: " + opt_.identity + (leader ? " is now the leader" : " stopped leading") +
            " (lease " + opt_.lease_namespace + "/" + opt_.lease_name + ")");
  on_change_(leader);
}

awaitable<void> LeaderElector::run() {
  log::info("kubernetes: leader election on lease " + opt_.lease_namespace + "/" + opt_.lease_name +
            " as " + opt_.identity);
  std::mt19937 rng(std::random_device{}());
  auto last_renew = std::chrono::steady_clock::now();
  for (;;) {
    if (released_) co_return;  // Shutting down: the Lease is not taken again.
    auto attempt = co_await try_acquire_or_renew();
    if (released_) co_return;
    auto now = std::chrono::steady_clock::now();
    if (attempt == Attempt::kHeld) {
      last_renew = now;
      set_leader(true);
    } else if (attempt == Attempt::kHeldByOther ||
               (leader_ && now - last_renew >= opt_.renew_deadline)) {
      set_leader(false);
    }
    // Followers add up to 20% jitter so replicas do not retry in lockstep (client-go's 1.2).
    auto wait = opt_.retry_period;
    if (!leader_) {
      wait += std::chrono::milliseconds(
          std::uniform_int_distribution<std::int64_t>(0, opt_.retry_period.count() / 5)(rng));
    }
    if (!co_await sleep_for(wait)) co_return;
  }
}

awaitable<void> LeaderElector::release() {
  released_ = true;
  if (!leader_) co_return;
  // A renewal may be in flight (the run loop does not stop first): when it wins, this write
  // meets 409 and the Lease, read again, still names us, so the release is tried once more
  // with the resourceVersion the renewal left.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto put =
        co_await client_.request(http::verb::put, path(true),
                                 lease_json(resource_version_, "", acquire_time_, transitions_));
    if (put && put->status == 200) {
      log::info("kubernetes: released lease " + opt_.lease_namespace + "/" + opt_.lease_name);
      break;
    }
    if (!put || put->status != 409) break;
    auto got = co_await client_.request(http::verb::get, path(true));
    if (!got || got->status != 200) break;
    rapidjson::Document d;
    d.Parse(got->body.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("metadata") || !d.HasMember("spec") ||
        member_string(d["spec"], "holderIdentity") != opt_.identity) {
      break;  // Not ours any more: nothing to release.
    }
    resource_version_ = member_string(d["metadata"], "resourceVersion");
  }
  leader_ = false;
}

}  // namespace wharf::controller::kubernetes
