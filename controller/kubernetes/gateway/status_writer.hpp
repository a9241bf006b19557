#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "controller/kubernetes/api_client.hpp"
#include "controller/kubernetes/gateway/translator.hpp"
#include "controller/kubernetes/leader_work.hpp"
#include "controller/net.hpp"

namespace wharf::controller::kubernetes::gateway {

// Writes what translation found back to the Gateway API objects, as the leader only:
//  - status of our GatewayClasses (Accepted, supportedFeatures), Gateways (conditions,
//    listeners, addresses) and our entries of each route's status.parents (other
//    controllers' entries are kept), each a JSON merge patch of the status subresource
//    carrying the resourceVersion it was computed from: a 409 means the object moved on, and
//    the watch brings the version to compute from again.
//  - nothing when the status is already as it should be, and no second write over a
//    resourceVersion already written or refused with 409.
//  - writes one at a time and at most 20 a second (bursts of 40), pausing for the Retry-After
//    of a 429, so a thousand routes do not flood the API server.
//  - one Warning Event per problem of a Gateway or route, again when its spec changes.
class StatusWriter {
 public:
  StatusWriter(asio::any_io_executor ex, ApiClient& client, std::string identity);

  void update(std::vector<ClassReport> classes, std::vector<GatewayReport> gateways,
              std::vector<RouteReport> routes);
  void set_leader(bool leader);
  awaitable<void> run();

 private:
  enum class Outcome { kDone, kStale, kFailed };
  // Coroutine parameters are values: GCC 12 does not keep a temporary argument alive across
  // a suspension.
  awaitable<Outcome> patch(std::string target, std::string body, std::string what);
  awaitable<bool> events(ObjectMeta meta, std::string kind, std::vector<std::string> problems,
                         std::set<std::string>& due);
  awaitable<bool> sync();
  awaitable<void> pace();

  ApiClient& client_;
  std::string identity_;
  std::vector<ClassReport> classes_;
  std::vector<GatewayReport> gateways_;
  std::vector<RouteReport> routes_;
  // "kind ns/name" → the resourceVersion the last write went over (or was refused for): not
  // repeated until the watch brings a newer one.
  std::map<std::string, std::string> written_;
  std::set<std::string> evented_;  // uid|generation|problem
  LeaderWork work_;
  double tokens_ = 40;
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();
  std::string last_error_;
};

}  // namespace wharf::controller::kubernetes::gateway
