#pragma once

#include <map>
#include <string>
#include <vector>

#include "controller/kubernetes/backends.hpp"
#include "controller/kubernetes/objects.hpp"
#include "controller/tls/key_pair.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::kubernetes {

// Certificates by Secret, from the TLS sections of the Ingresses added (and the certificateRefs
// of Gateway listeners): every section naming the same Secret shares one certificate, for the
// hosts of every section naming it (the certificate's own names when a section lists none). A
// missing or broken Secret is an error on that certificate alone: its hosts get the default
// certificate and the routes stay. Certificates are named `<prefix><namespace>-<secret>`.
class Certificates {
 public:
  explicit Certificates(const Index& index, std::string prefix = {})
      : index_(index), prefix_(std::move(prefix)) {}

  void add(const Ingress& ing);
  // Secret `ns/secret` for `hosts` (none: the certificate's own names); `field` names the
  // reference in messages.
  void want(const std::string& ns, const std::string& secret, const std::vector<std::string>& hosts,
            const std::string& field);
  // What is wrong with a Secret a TLS section of an Ingress in `ns` names, or empty.
  std::string problem(const std::string& ns, const std::string& secret);
  void emit(model::ProviderConfig& out);

 private:
  struct Wanted {
    std::string field;  // The first TLS section naming the Secret, for messages.
    std::vector<std::string> hosts;
    bool own_names = false;
    std::string bad_host;
    bool checked = false;
    std::string problem;
    tls::KeyPairInfo info;
  };

  const std::string& check(const std::string& key, Wanted& c);

  const Index& index_;
  std::string prefix_;
  std::map<std::string, Wanted> wanted_;
};

}  // namespace wharf::controller::kubernetes
