#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace wharf::test {

// A stand-in for the Kubernetes API server that speaks its wire format for what the controller
// reads: typed lists (`IngressList`, items without `kind`) with limit/continue pagination and a
// list resourceVersion; watches as chunked streams of newline-delimited events (ADDED, MODIFIED,
// DELETED, BOOKMARK, and ERROR with a 410 Status for a resourceVersion that is too old), each
// event deliberately split across two chunks so clients must parse incrementally; metadata.
// resourceVersion stamped from one counter, as etcd does. Plain HTTP on 127.0.0.1:0.
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

  // Forgets the event history: every watch is closed and resuming from an older version gets
  // 410 Gone, as after etcd compaction.
  void compact();
  // Restarts: every watch is cut, connections are closed unanswered for `down_ms`, and the
  // event history is gone afterwards (resuming a watch gets 410). Returns at once.
  void restart(int down_ms);

  // "GET /apis/...?..." lines of every request received, in order.
  std::vector<std::string> requests() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::test
