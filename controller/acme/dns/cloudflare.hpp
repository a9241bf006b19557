#pragma once

#include <map>
#include <memory>
#include <string>

#include "controller/acme/dns/provider.hpp"
#include "controller/kubernetes/api_client.hpp"

namespace wharf::controller::acme::dns {

// lego's cloudflare provider with an API token: CF_DNS_API_TOKEN (or CLOUDFLARE_DNS_API_TOKEN;
// Zone:Read and DNS:Edit), CF_ZONE_API_TOKEN (or CLOUDFLARE_ZONE_API_TOKEN) when zones are
// read with another token, CLOUDFLARE_TTL (default 120). The global API key (CF_API_EMAIL,
// CF_API_KEY) is not supported. CLOUDFLARE_BASE_URL (Wharf's) points at another API root.
struct CloudflareOptions {
  std::string dns_token, zone_token;
  std::uint32_t ttl = 120;
  std::string origin = "https://api.cloudflare.com";
  std::string root = "/client/v4";
};
model::Result<CloudflareOptions> cloudflare_options(const std::map<std::string, std::string>& env);

// Cloudflare's v4 API: the zone is the longest parent of the name Cloudflare has
// (GET zones?name=...), the TXT record created (POST zones/ID/dns_records) and deleted by its
// id (found again by name and content). Cloudflare's error envelope becomes the message: "zone
// lookup for example.com: Cloudflare 9109: Unauthorized to access requested resource".
class Cloudflare : public Provider {
 public:
  Cloudflare(asio::any_io_executor ex, CloudflareOptions options);
  awaitable<model::Status> present(Challenge c) override;
  awaitable<model::Status> cleanup(Challenge c) override;

 private:
  awaitable<model::Result<std::string>> zone_id(std::string fqdn);

  CloudflareOptions opt_;
  std::unique_ptr<kubernetes::ApiClient> dns_, zones_;
};

}  // namespace wharf::controller::acme::dns
