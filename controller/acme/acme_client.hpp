#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controller/acme/jose.hpp"
#include "controller/kubernetes/api_client.hpp"
#include "controller/net.hpp"
#include "model/result.hpp"
#include "model/routing_table.hpp"

namespace wharf::controller::acme {

enum class ChallengeType { kHttp01, kTlsAlpn01, kDns01 };

// "http-01", "tls-alpn-01", "dns-01".
const char* challenge_name(ChallengeType type);

// Makes the data plane answer a challenge (or stop answering it). `present` completes once a
// table carrying the challenge has been applied, so the CA is only told to validate then.
class Presenter {
 public:
  virtual ~Presenter() = default;
  virtual awaitable<model::Status> present(const model::AcmeChallenge& c) = 0;
  virtual void withdraw(const model::AcmeChallenge& c) = 0;
};

struct Issued {
  std::string cert_pem;  // The chain as the CA sent it, leaf first.
  std::string key_pem;   // A new P-256 key for each certificate.
};

// An ACME client (RFC 8555): the directory, nonces (a badNonce answer is retried with the
// nonce it carries), the account (created, or found again, for the account key), orders with
// http-01, tls-alpn-01 or dns-01 validation (wildcard names with dns-01), finalization and
// download. Every request is a JWS signed with the account key; every URL must be on the
// directory's server.
class Client {
 public:
  // `ca_pem`: trust anchors for the ACME server's own TLS (empty: the system's).
  Client(asio::any_io_executor ex, std::string directory_url, std::string ca_pem,
         const Key& account_key, std::string email);

  // Reads the directory and registers (or finds) the account.
  awaitable<model::Status> init();
  awaitable<model::Result<Issued>> obtain(const std::vector<std::string>& domains,
                                          ChallengeType type, Presenter& presenter);
  const std::string& account_url() const { return account_url_; }

 private:
  struct Reply {
    unsigned status = 0;
    std::string body, location;
  };
  // A signed POST (`payload` empty: POST-as-GET), with badNonce retries.
  awaitable<model::Result<Reply>> post(const std::string& url, const std::string& payload);
  awaitable<model::Status> fresh_nonce();
  awaitable<model::Status> authorize(const std::string& authz_url, ChallengeType type,
                                     Presenter& presenter);
  // Polls `url` (POST-as-GET) until its status is not pending/processing.
  awaitable<model::Result<std::string>> poll(const std::string& url, const char* what);
  model::Result<std::string> path_of(const std::string& url) const;

  asio::any_io_executor ex_;
  std::string directory_url_, origin_;
  const Key& key_;
  std::string email_;
  std::unique_ptr<kubernetes::ApiClient> http_;
  std::string new_nonce_, new_account_, new_order_;
  std::string nonce_, account_url_;
};

}  // namespace wharf::controller::acme
