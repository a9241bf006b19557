#pragma once

#include <functional>
#include <map>
#include <string>

#include "controller/kubernetes/api_client.hpp"
#include "controller/net.hpp"

namespace wharf::controller::kubernetes {

// Keeps an up-to-date copy of one collection (client-go's reflector): list it in pages
// (limit/continue), then watch from the list's resourceVersion with bookmarks, applying
// ADDED/MODIFIED/DELETED to the store. A watch that ends (the server's timeout) is resumed from
// the last resourceVersion seen; "410 Gone" (that version is too old) means list again; any
// other failure retries with backoff. `on_change` runs after the first list and after every
// change, never for bookmarks.
class Reflector {
 public:
  // `selector` narrows the collection server-side: "fieldSelector=type%3Dkubernetes.io%2Ftls"
  // (already escaped), added to every list and watch request.
  Reflector(ApiClient& client, std::string kind, std::string collection,
            std::function<void()> on_change, std::string selector = {});

  awaitable<void> run();
  // One full list into the store (also what run() starts with).
  awaitable<model::Status> list();

  bool synced() const { return synced_; }
  // Object JSON by "namespace/name".
  const std::map<std::string, std::string>& objects() const { return objects_; }

 private:
  // Returns true when the watch ended normally (resume), false when a relist is needed.
  awaitable<model::Result<bool>> watch();
  void apply_event(std::string_view line, bool& gone);

  ApiClient& client_;
  std::string kind_;        // "Ingress": set on objects whose JSON lacks it (list items)
  std::string collection_;  // "/apis/networking.k8s.io/v1/ingresses"
  std::string selector_;
  std::function<void()> on_change_;
  std::map<std::string, std::string> objects_;
  std::string resource_version_;
  bool synced_ = false;
};

}  // namespace wharf::controller::kubernetes
