#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controller/acme/acme_client.hpp"
#include "controller/acme/dns/client.hpp"
#include "controller/acme/dns/provider.hpp"

// The DNS-01 challenge (RFC 8555 section 8.4): the TXT record `_acme-challenge.<domain>`
// holding base64url(SHA-256(key authorization)), put there by a DNS provider and checked to
// have propagated before the CA is told to look, as Traefik (lego) does it.
namespace wharf::controller::acme {

// Traefik's `dnsChallenge` options of a resolver, and the provider's variables.
struct DnsChallengeOptions {
  std::string provider;                        // rfc2136, httpreq
  std::vector<dns::Server> resolvers;          // `resolvers`; empty: /etc/resolv.conf's nameservers
  std::chrono::seconds delay_before_check{0};  // `propagation.delayBeforeChecks`
  bool disable_checks = false;                 // `propagation.disableChecks`
  bool disable_ans_checks = false;             // `propagation.disableANSChecks`
  std::chrono::seconds propagation_timeout{60};
  std::map<std::string, std::string> env;  // The provider's variables (RFC2136_NAMESERVER...).
};

// "_acme-challenge.example.com" for example.com and *.example.com alike.
std::string dns01_record_name(const std::string& domain);
// The record's value for a key authorization.
std::string dns01_txt_value(const std::string& key_authorization);
// The record for a DNS-01 challenge (`domain` "*.example.com" for a wildcard), with the values
// it is made from.
dns::Challenge dns01_challenge(const model::AcmeChallenge& c);

// lego's `<VARIABLE>_FILE` convention: the variable's value read from that file (a Docker or
// Kubernetes secret mounted as a file), trailing newlines dropped; the variable itself wins.
model::Result<std::map<std::string, std::string>> with_file_variables(
    const std::map<std::string, std::string>& env);

// The provider `options.provider` names, configured from `options.env` (with its `_FILE`
// variables read); an unknown provider or a missing variable is an error naming it.
model::Result<std::unique_ptr<dns::Provider>> make_dns_provider(asio::any_io_executor ex,
                                                                const DnsChallengeOptions& options);

// Presents DNS-01 challenges through a provider: the record is added, then (unless
// disableChecks) looked up until every authoritative nameserver of the zone serves it (or,
// with disableANSChecks, every resolver), at most `propagation_timeout`; withdrawing removes
// that value again, also after a failed validation.
class Dns01Presenter : public Presenter {
 public:
  Dns01Presenter(asio::any_io_executor ex, dns::Provider& provider, DnsChallengeOptions options);
  awaitable<model::Status> present(const model::AcmeChallenge& c) override;
  void withdraw(const model::AcmeChallenge& c) override;

 private:
  awaitable<model::Status> propagated(std::string fqdn, std::string value);

  asio::any_io_executor ex_;
  dns::Provider& provider_;
  DnsChallengeOptions opt_;
};

}  // namespace wharf::controller::acme
