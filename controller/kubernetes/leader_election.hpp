#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "controller/kubernetes/api_client.hpp"
#include "controller/net.hpp"

namespace wharf::controller::kubernetes {

struct ElectionOptions {
  std::string lease_namespace;  // Empty: the pod's namespace (or "default").
  std::string lease_name;       // Empty: "wharf-<ingress class>-leader".
  std::string identity;         // Empty: "<host name>_<random>".
  // client-go's defaults: a leader that cannot renew for `renew_deadline` steps down; the others
  // take over once the lease has not changed for `lease_duration` (measured on their own clock,
  // so skew between nodes does not matter).
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// create the Lease when missing, take it over when its holder stopped renewing, renew it with
// the resourceVersion last read so two replicas racing get a 409 Conflict and exactly one wins.
// Only the leader writes to the cluster (Ingress status, Events); every replica keeps watching
// and pushing to its own data plane whatever happens here.
class LeaderElector {
 public:
  LeaderElector(ApiClient& client, ElectionOptions options, std::function<void(bool)> on_change);

  awaitable<void> run();
  // Gives the lease up (holder cleared) so another replica takes over at once on shutdown.
  awaitable<void> release();

  bool leader() const { return leader_; }
  const ElectionOptions& options() const { return opt_; }

 private:
  enum class Attempt { kHeld, kHeldByOther, kFailed };
  awaitable<Attempt> try_acquire_or_renew();
  std::string lease_json(const std::string& resource_version, const std::string& holder,
                         const std::string& acquire_time, std::int64_t transitions) const;
  std::string path(bool item) const;
  // Keeps what release() needs from the Lease we just wrote.
  void remember(const std::string& lease, const std::string& acquire_time,
                std::int64_t transitions);
  void set_leader(bool leader);

  ApiClient& client_;
  ElectionOptions opt_;
  std::function<void(bool)> on_change_;
  bool leader_ = false;
  bool released_ = false;  // release() was called: run() takes the Lease no more.
  std::string last_error_;
  // What was last read from the Lease and when it last changed, by our clock.
  std::string observed_record_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::string resource_version_, acquire_time_;
  std::int64_t transitions_ = 0;
};

}  // namespace wharf::controller::kubernetes
