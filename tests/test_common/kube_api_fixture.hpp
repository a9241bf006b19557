#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wharf::test {

// A stand-in for the Kubernetes API server that speaks its wire format for what the controller
// uses: typed lists (`IngressList`, items without `kind`) with limit/continue pagination, a list
// resourceVersion and fieldSelector; watches as chunked streams of newline-delimited events
// (ADDED, MODIFIED, DELETED, BOOKMARK, and ERROR with a 410 Status for a resourceVersion that is
// too old), each event deliberately split across two chunks so clients must parse
// incrementally; metadata.resourceVersion stamped from one counter, as etcd does, with uid and
// generation (bumped when the spec changes). Writes: POST creates (409 AlreadyExists), PUT
// replaces (409 Conflict when the given resourceVersion is stale: Lease updates, and the status
// subresource, where only the status is replaced), PATCH with a JSON merge patch of the status
// subresource or of a whole object (Secret data), a resourceVersion in it being a
// precondition (409 when stale); Events are stored like any object. Every write shows up in
// watches. Plain HTTP on 127.0.0.1:0.
class KubeApiFixture {
 public:
  KubeApiFixture();
  ~KubeApiFixture();

  std::uint16_t port() const;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  // Writes a kubeconfig pointing at this server (token auth) and returns its path.
  std::string write_kubeconfig(const std::string& dir) const;

  // Creates or replaces an object (JSON with apiVersion, kind, metadata.name[, namespace]).
  void apply(const std::string& object_json);
  void remove(const std::string& kind, const std::string& ns, const std::string& name);
  // The stored object, as the API would return it.
  std::optional<std::string> get(const std::string& kind, const std::string& ns,
                                 const std::string& name) const;
  std::vector<std::string> list(const std::string& kind) const;

  // Forgets the event history: every watch is closed and resuming from an older version gets
  // 410 Gone, as after etcd compaction.
  void compact();
  // Restarts: every watch is cut, connections are closed unanswered for `down_ms`, and the
  // event history is gone afterwards (resuming a watch gets 410). Returns at once.
  void restart(int down_ms);

  // The next PUT or PATCH of an object of `kind` loses a race: just before it is handled, the
  // stored object is changed by this JSON merge patch (as another writer would), so the
  // request's resourceVersion is stale and it gets 409 Conflict.
  void race_next_update(const std::string& kind, const std::string& merge_patch);
  // PUTs and PATCHes answered 409 Conflict so far.
  std::size_t conflicts() const;

  // Answers 404 for everything under `path` ("/apis/gateway.networking.k8s.io/v1"), discovery
  // included: as a cluster without those CRDs installed.
  void hide(const std::string& path);

  // "GET /apis/...?..." lines (method and target) of every request received, in order.
  std::vector<std::string> requests() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::test
