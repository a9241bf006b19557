#pragma once

#include <map>
#include <memory>
#include <string>

#include "controller/kubernetes/api_client.hpp"
#include "controller/net.hpp"
#include "model/result.hpp"

namespace wharf::controller::acme {

// What one certificate resolver keeps, by name: "account.key" and "certs/<name>.crt",
// "certs/<name>.key", "certs/<name>.domains". Values are PEM or text.
using Files = std::map<std::string, std::string>;

// Where a resolver keeps its account and certificates.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual std::string where() const = 0;  // For messages: a path, or "secret ns/name".
  // Checks that the storage can be used at all (a directory that cannot be made is a start-up
  // error); the reading comes later, in load().
  virtual model::Status prepare() = 0;
  virtual awaitable<model::Result<Files>> load() = 0;
  // Adds or replaces `files`; what is not named stays.
  virtual awaitable<model::Status> save(const Files& files) = 0;
};

// Files under `dir` (mode 0700), each 0600 from its first byte and replaced atomically.
std::unique_ptr<Storage> directory_storage(std::string dir);

// One Kubernetes Secret (type Opaque, created on the first save), shared by every resolver
// naming it: resolver `le` keeps "certs/a.crt" under the data key "le.certs.a.crt". A save is
// one JSON merge patch, so a certificate, its key and its domains land together or not at all.
std::unique_ptr<Storage> secret_storage(kubernetes::ApiClient& client, std::string ns,
                                        std::string name, std::string resolver);

}  // namespace wharf::controller::acme
