#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "controller/kubernetes/api_client.hpp"
#include "controller/kubernetes/ingress_translator.hpp"
#include "controller/kubernetes/leader_work.hpp"
#include "controller/net.hpp"

namespace wharf::controller::kubernetes {

struct StatusOptions {
  std::string publish_service;                 // "namespace/name": its load-balancer addresses,
  std::vector<std::string> publish_addresses;  // or these IPs / host names.
};

// What the leader writes back to the cluster after each translation:
//  - status.loadBalancer.ingress of every Ingress of ours set to the published addresses, and
//    cleared on an Ingress that left our class while still showing exactly our addresses (an
//    address another controller wrote is not ours to remove). A JSON merge patch of the status
//    subresource, sent only when the status differs. Ingresses whose report says !write_status
//    (the ingress-nginx class without --ingress-nginx-status) are left as they are.
//  - One Warning Event per problem of a rejected Ingress (`kubectl describe ingress` shows it),
//    again when the Ingress's spec changes (generation) and the problem is still there.
// Followers do nothing here; whoever becomes leader writes what is due at once.
class StatusWriter {
 public:
  StatusWriter(asio::any_io_executor ex, ApiClient& client, StatusOptions options,
               std::string identity);

  void update(std::vector<IngressReport> reports, std::vector<LoadBalancerAddress> published);
  void set_leader(bool leader);
  awaitable<void> run();

 private:
  awaitable<bool> write_status(const IngressReport& r,
                               const std::vector<LoadBalancerAddress>& desired);
  awaitable<bool> post_event(const IngressReport& r, const std::string& message);
  awaitable<bool> sync();

  ApiClient& client_;
  StatusOptions opt_;
  std::string identity_;
  std::vector<IngressReport> reports_;
  std::vector<LoadBalancerAddress> published_;
  // What we wrote per "namespace/name", with the resourceVersion it was written over: until the
  // watch brings the new version, the same write is not repeated.
  std::map<std::string, std::pair<std::string, std::vector<LoadBalancerAddress>>> written_;
  std::set<std::string> evented_;  // uid|generation|problem
  LeaderWork work_;
  std::string last_error_;
};

// The addresses to publish: --publish-address entries (an IP literal becomes `ip`, anything else
// `hostname`), else the publish Service's status.loadBalancer.ingress. Sorted, so comparisons
// with the API's copy do not depend on order.
std::vector<LoadBalancerAddress> published_addresses(const StatusOptions& opt,
                                                     const Snapshot& snap);

}  // namespace wharf::controller::kubernetes
