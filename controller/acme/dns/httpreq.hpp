#pragma once

#include <map>
#include <memory>
#include <string>

#include "controller/acme/dns/provider.hpp"
#include "controller/kubernetes/api_client.hpp"

namespace wharf::controller::acme::dns {

// lego's httpreq provider, for any DNS a small script can change: HTTPREQ_ENDPOINT (required;
// http:// or https://, a path allowed), HTTPREQ_USERNAME and HTTPREQ_PASSWORD (basic
// authentication, both or neither), HTTPREQ_MODE (RAW: lego's other body).
struct HttpReqOptions {
  std::string origin;  // scheme://host[:port]
  std::string path;    // The endpoint's path, without a final '/'.
  std::string username, password;
  bool raw = false;
};
model::Result<HttpReqOptions> httpreq_options(const std::map<std::string, std::string>& env);

// POST <endpoint>/present and <endpoint>/cleanup with {"fqdn":"_acme-challenge.<domain>.",
// "value":"<TXT value>"}, or in RAW mode {"domain":"<domain>","token":...,"keyAuth":...} for a
// hook that makes the record itself, as lego sends them; any 2xx is success, anything else an
// error with the status and the start of the body.
class HttpReq : public Provider {
 public:
  HttpReq(asio::any_io_executor ex, HttpReqOptions options);
  awaitable<model::Status> present(Challenge c) override;
  awaitable<model::Status> cleanup(Challenge c) override;

 private:
  awaitable<model::Status> call(std::string action, Challenge c);

  HttpReqOptions opt_;
  std::unique_ptr<kubernetes::ApiClient> http_;
};

}  // namespace wharf::controller::acme::dns
