#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/acme/acme_client.hpp"
#include "controller/acme/dns01.hpp"
#include "controller/acme/storage.hpp"
#include "controller/kubernetes/cluster_config.hpp"
#include "controller/net.hpp"
#include "controller/provider/aggregator.hpp"
#include "controller/provider/stats.hpp"
#include "model/provider_config.hpp"

namespace wharf::controller::acme {

// Let's Encrypt's production directory, Traefik's default caServer.
inline constexpr const char* kLetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";

// One of Traefik's certificatesResolvers (`--certificatesresolvers.NAME.acme.*`).
struct ResolverConfig {
  std::string name;
  std::string email;
  std::string storage;  // A directory; the resolver keeps its account and certificates in
                        // <storage>/<name>/, files mode 0600.
  std::string secret_namespace, secret_name;  // Or a Kubernetes Secret (`storage=secret:NS/NAME`).
  std::string ca_server = kLetsEncrypt;
  ChallengeType challenge = ChallengeType::kHttp01;
  DnsChallengeOptions dns;  // With ChallengeType::kDns01.
  // Why the resolver cannot obtain certificates (a DNS provider without its credentials);
  // its routers get the other certificates or the default one.
  std::string problem;
  std::string ca_pem;  // Trust anchors for the ACME server's own TLS; empty: the system's.
};

// Certificates from ACME, as a provider (named "acme") of the routing table: it loads what its
// resolvers stored, asks each for the certificates the routers name it for (`tls.certresolver`,
// the hosts of the router's rule), renews them at two thirds of their lifetime, and retries a
// failure after a doubling pause (1 minute to 1 day) rather than hammering the CA. Challenges
// are published in the table for the data plane to answer; the CA is told to validate only
// once a table carrying them has been applied.
class Manager : public Presenter {
 public:
  using Sink = std::function<void(model::ProviderConfig)>;

  // `cluster`: the API server reached for resolvers storing in a Secret.
  Manager(asio::any_io_executor ex, std::vector<ResolverConfig> resolvers,
          std::optional<kubernetes::ClusterConfig> cluster, Stats& stats, Sink sink);
  ~Manager();

  // Checks every resolver's storage can be used (a directory that cannot be made is an error
  // at start-up). Reading it is run()'s first step.
  model::Status prepare();
  void want(std::vector<CertificateRequest> requests);  // From the aggregator.
  void applied(const model::RoutingTable& table);       // From the publisher.
  awaitable<void> run();
  void stop();

  awaitable<model::Status> present(const model::AcmeChallenge& c) override;
  void withdraw(const model::AcmeChallenge& c) override;

 private:
  struct Stored {
    std::vector<std::string> domains;
    std::string cert_pem, key_pem;
    Validity validity;
  };
  struct Attempt {  // After a failure: the next try and why the last one failed.
    std::chrono::steady_clock::time_point next{};
    std::chrono::seconds pause{0};
    std::string error;
  };
  using Wanted = std::pair<std::string, std::vector<std::string>>;  // resolver, domains

  const ResolverConfig* resolver(const std::string& name) const;
  // Reads every resolver's storage and publishes what it holds (the provider's first sync);
  // while a storage cannot be read, nothing is requested (that could replace good
  // certificates), the table goes out without them and the read is retried.
  awaitable<void> load();
  // Keeps the account key and the certificates that check out; logs the others.
  void take(const ResolverConfig& r, Files files);
  // Whether `key` needs a certificate now: none stored, or two thirds of its life are over.
  bool due(const Wanted& key, std::chrono::system_clock::time_point now) const;
  awaitable<void> obtain(const Wanted& key);
  // The stored certificates, the pending challenges and what is known of each wanted
  // certificate, to the aggregator.
  void publish();
  std::vector<model::CertificateStatus> status() const;
  // Per-certificate gauges: its expiry, and whether its last attempt failed.
  static std::string certificate_label(const Wanted& key);
  void report_expiry(const Wanted& key, const Validity& v);

  asio::any_io_executor ex_;
  std::vector<ResolverConfig> resolvers_;
  std::unique_ptr<kubernetes::ApiClient> api_;  // Only when a resolver stores in a Secret.
  std::map<std::string, std::unique_ptr<Storage>> storage_;              // By resolver.
  std::map<std::string, std::unique_ptr<dns::Provider>> dns_providers_;  // DNS-01 resolvers
  std::map<std::string, std::string> account_keys_;  // Resolver → PEM, once known.
  Stats& stats_;
  Sink sink_;
  std::map<Wanted, Stored> certificates_;
  std::map<Wanted, std::string> wanted_;  // → the router asking, for messages.
  std::map<Wanted, Attempt> attempts_;
  std::set<std::string> reported_;  // Problems logged once.
  std::vector<model::AcmeChallenge> challenges_;
  std::set<std::string> applied_;  // Challenges (token or domain) in the last applied table.
  asio::steady_timer wake_;
  bool loaded_ = false;  // Until storage is read, nothing is published but by load().
  bool stopping_ = false;
};

}  // namespace wharf::controller::acme
