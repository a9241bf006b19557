#include "controller/acme/dns01.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <sstream>

#include "controller/acme/dns/cloudflare.hpp"
#include "controller/acme/dns/httpreq.hpp"
#include "controller/acme/dns/message.hpp"
#include "controller/acme/dns/rfc2136.hpp"
#include "controller/acme/jose.hpp"
#include "log/log.hpp"

namespace wharf::controller::acme {
namespace {

using model::Error;
using model::Result;
using model::Status;

constexpr std::chrono::seconds kPollEvery{2};
constexpr std::chrono::milliseconds kQueryTimeout{3'000};

// The nameservers of /etc/resolv.conf, when no resolvers are configured.
std::vector<dns::Server> system_resolvers() {
  std::vector<dns::Server> out;
  std::ifstream in("/etc/resolv.conf");
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, address;
    if (words >> key >> address && key == "nameserver") {
      if (auto s = dns::parse_server(address)) out.push_back(*s);
    }
  }
  return out;
}

std::uint16_t query_id() {
  static std::uint16_t next =
      static_cast<std::uint16_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return ++next;
}

// One question to one server; the decoded answer.
awaitable<Result<dns::Message>> ask(dns::Server server, std::string name, std::uint16_t type,
                                    bool recursive) {
  dns::Message q = dns::query(query_id(), std::move(name), type);
  q.recursion_desired = recursive;
  auto wire = dns::encode(q);
  if (!wire) co_return Error{wire.error()};
  auto answer = co_await dns::exchange(server, *wire, false, kQueryTimeout);
  if (!answer) co_return Error{server.host + ": " + answer.error()};
  auto m = dns::decode(*answer);
  if (!m) co_return Error{server.host + ": " + m.error()};
  co_return std::move(*m);
}

// Whether `server` answers `value` among the TXT records at `fqdn`.
awaitable<Result<bool>> serves(dns::Server server, std::string fqdn, std::string value,
                               bool recursive) {
  auto m = co_await ask(server, fqdn, dns::type::kTxt, recursive);
  if (!m) co_return Error{m.error()};
  for (const auto& rec : m->answers) {
    if (rec.type == dns::type::kTxt && rec.txt_value() == value) co_return true;
  }
  co_return false;
}

// The authoritative nameservers of the zone `fqdn` is in, by address, found through `resolver`:
// the zone from the SOA its answer carries, the zone's NS records, their A records.
awaitable<Result<std::vector<dns::Server>>> authoritative(dns::Server resolver, std::string fqdn) {
  auto soa = co_await ask(resolver, fqdn, dns::type::kSoa, true);
  if (!soa) co_return Error{soa.error()};
  const std::string zone = dns::soa_owner(*soa);
  if (zone.empty()) co_return Error{"no zone found for " + fqdn + " (SOA lookup)"};
  auto ns = co_await ask(resolver, zone, dns::type::kNs, true);
  if (!ns) co_return Error{ns.error()};
  std::vector<dns::Server> out;
  for (const auto& rec : ns->answers) {
    if (rec.type != dns::type::kNs) continue;
    auto a = co_await ask(resolver, rec.target(), dns::type::kA, true);
    if (!a) continue;
    for (const auto& addr : a->answers) {
      if (addr.type != dns::type::kA || addr.rdata.size() != 4) continue;
      const auto* b = reinterpret_cast<const unsigned char*>(addr.rdata.data());
      out.push_back({std::to_string(b[0]) + "." + std::to_string(b[1]) + "." +
                         std::to_string(b[2]) + "." + std::to_string(b[3]),
                     53});
    }
  }
  if (out.empty()) co_return Error{"no address for the nameservers of zone " + zone};
  co_return out;
}

}  // namespace

std::string dns01_record_name(const std::string& domain) {
  return "_acme-challenge." + (domain.starts_with("*.") ? domain.substr(2) : domain);
}

std::string dns01_txt_value(const std::string& key_authorization) {
  unsigned char digest[32];
  unsigned int n = 0;
  EVP_Digest(key_authorization.data(), key_authorization.size(), digest, &n, EVP_sha256(), nullptr);
  return base64url(std::string_view(reinterpret_cast<const char*>(digest), n));
}

Result<std::map<std::string, std::string>> with_file_variables(
    const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> out = env;
  for (const auto& [key, path] : env) {
    if (!key.ends_with("_FILE")) continue;
    const std::string name = key.substr(0, key.size() - 5);
    if (env.count(name)) continue;  // The variable itself wins, as with lego.
    std::ifstream in(path);
    if (!in) return Error{key + "=" + path + ": cannot be read"};
    std::string value((std::istreambuf_iterator<char>(in)), {});
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    out[name] = std::move(value);
  }
  return out;
}

Result<std::unique_ptr<dns::Provider>> make_dns_provider(asio::any_io_executor ex,
                                                         const DnsChallengeOptions& given) {
  auto env = with_file_variables(given.env);
  if (!env) return Error{"dnsChallenge provider " + given.provider + ": " + env.error()};
  DnsChallengeOptions options = given;
  options.env = std::move(*env);
  if (options.provider == "rfc2136") {
    auto o = dns::rfc2136_options(options.env);
    if (!o) return Error{"dnsChallenge provider rfc2136: " + o.error()};
    return std::unique_ptr<dns::Provider>(std::make_unique<dns::Rfc2136>(std::move(*o)));
  }
  if (options.provider == "httpreq") {
    auto o = dns::httpreq_options(options.env);
    if (!o) return Error{"dnsChallenge provider httpreq: " + o.error()};
    return std::unique_ptr<dns::Provider>(std::make_unique<dns::HttpReq>(ex, std::move(*o)));
  }
  if (options.provider == "cloudflare") {
    auto o = dns::cloudflare_options(options.env);
    if (!o) return Error{"dnsChallenge provider cloudflare: " + o.error()};
    return std::unique_ptr<dns::Provider>(std::make_unique<dns::Cloudflare>(ex, std::move(*o)));
  }
  return Error{"dnsChallenge provider '" + options.provider +
               "' is not supported (rfc2136, cloudflare and httpreq are)"};
}

Dns01Presenter::Dns01Presenter(asio::any_io_executor ex, dns::Provider& provider,
                               DnsChallengeOptions options)
    : ex_(ex), provider_(provider), opt_(std::move(options)) {
  if (opt_.resolvers.empty()) opt_.resolvers = system_resolvers();
}

dns::Challenge dns01_challenge(const model::AcmeChallenge& c) {
  const auto& ka = c.key_authorization;
  return {dns01_record_name(c.domain), dns01_txt_value(ka), c.domain, ka.substr(0, ka.find('.')),
          ka};
}

awaitable<Status> Dns01Presenter::present(const model::AcmeChallenge& c) {
  const dns::Challenge record = dns01_challenge(c);
  auto added = co_await provider_.present(record);
  if (!added) co_return Error{added.error()};
  co_return co_await propagated(record.fqdn, record.value);
}

void Dns01Presenter::withdraw(const model::AcmeChallenge& c) {
  // Removed in the background: the next step (another authorization, finalizing) need not
  // wait for it, and a failure is only logged (the record is harmless, just untidy).
  asio::co_spawn(
      ex_,
      // The provider, not this presenter: the presenter may be gone before the cleanup ends
      // (it lives for one order), the provider lives as long as the resolver.
      [&provider = provider_, record = dns01_challenge(c)]() -> awaitable<void> {
        auto removed = co_await provider.cleanup(record);
        if (!removed) log::warn("acme: removing TXT " + record.fqdn + ": " + removed.error());
      },
      asio::detached);
}

awaitable<Status> Dns01Presenter::propagated(std::string fqdn, std::string value) {
  if (opt_.delay_before_check.count() > 0) {
    co_await sleep_for(
        std::chrono::duration_cast<std::chrono::milliseconds>(opt_.delay_before_check));
  }
  if (opt_.disable_checks) co_return model::kOk;
  if (opt_.resolvers.empty()) co_return Error{"no DNS resolver to check propagation with"};
  const auto deadline = std::chrono::steady_clock::now() + opt_.propagation_timeout;
  std::string waiting;
  for (;;) {
    // Where the record must be seen: every authoritative server of the zone, or with
    // disableANSChecks every resolver.
    std::vector<dns::Server> servers = opt_.resolvers;
    bool recursive = true;
    if (!opt_.disable_ans_checks) {
      auto ans = co_await authoritative(opt_.resolvers.front(), fqdn);
      if (ans) {
        servers = std::move(*ans);
        recursive = false;
      } else {
        waiting = ans.error();
        servers.clear();
      }
    }
    bool everywhere = !servers.empty();
    for (const auto& s : servers) {
      auto seen = co_await serves(s, fqdn, value, recursive);
      if (!seen || !*seen) {
        everywhere = false;
        waiting = seen ? "not yet at " + s.host : seen.error();
        break;
      }
    }
    if (everywhere) co_return model::kOk;
    if (std::chrono::steady_clock::now() + kPollEvery > deadline) {
      co_return Error{"TXT " + fqdn + " did not propagate within " +
                      std::to_string(opt_.propagation_timeout.count()) + " s (" + waiting + ")"};
    }
    co_await sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(kPollEvery));
  }
}

}  // namespace wharf::controller::acme
