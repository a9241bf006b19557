#include "controller/acme/manager.hpp"

#include "controller/tls/key_pair.hpp"
#include "log/log.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::acme {
namespace {

using model::Error;
using model::Result;
using model::Status;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kFirstPause{60};
constexpr std::chrono::seconds kLongestPause{24 * 3600};
constexpr std::chrono::seconds kPresentTimeout{30};
constexpr std::chrono::seconds kLongestLoadPause{300};

std::optional<std::string> take_file(Files& files, const std::string& name) {
  auto it = files.find(name);
  if (it == files.end()) return std::nullopt;
  return std::move(it->second);
}

std::string file_name(const std::vector<std::string>& domains) {
  std::string out = domains.front();
  for (auto& c : out) {
    if (c == '/' || c == '*') c = '_';
  }
  return out;
}

// The name a resolver's certificate has in the table (before the compiler qualifies it).
std::string certificate_name(const std::string& resolver, const std::vector<std::string>& domains) {
  return resolver + "-" + file_name(domains);
}

std::uint64_t unix_seconds(std::chrono::system_clock::time_point t) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<std::uint64_t>(std::max<std::int64_t>(s, 0));
}

}  // namespace

Manager::Manager(asio::any_io_executor ex, std::vector<ResolverConfig> resolvers,
                 std::optional<kubernetes::ClusterConfig> cluster, Stats& stats, Sink sink)
    : ex_(ex), resolvers_(std::move(resolvers)), stats_(stats), sink_(std::move(sink)), wake_(ex) {
  for (const auto& r : resolvers_) {
    if (r.secret_name.empty()) {
      storage_[r.name] = directory_storage(r.storage + "/" + r.name);
      continue;
    }
    if (!api_ && cluster) api_ = std::make_unique<kubernetes::ApiClient>(ex, *cluster);
    if (api_) storage_[r.name] = secret_storage(*api_, r.secret_namespace, r.secret_name, r.name);
  }
}

Manager::~Manager() = default;

const ResolverConfig* Manager::resolver(const std::string& name) const {
  for (const auto& r : resolvers_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// "resolver/name,name...": which certificate a per-certificate gauge is about.
std::string Manager::certificate_label(const Wanted& key) {
  return key.first + "/" + text::join(key.second, ",");
}

void Manager::report_expiry(const Wanted& key, const Validity& v) {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(v.not_after.time_since_epoch()).count();
  stats_.set("acme_certificate_expiry_timestamp_seconds", certificate_label(key),
             static_cast<std::uint64_t>(std::max<std::int64_t>(seconds, 0)));
}

Status Manager::prepare() {
  if (api_) {
    if (auto ok = api_->init(); !ok) return Error{"acme storage: " + ok.error()};
  }
  for (const auto& r : resolvers_) {
    auto it = storage_.find(r.name);
    if (it == storage_.end()) {
      return Error{"acme resolver " + r.name +
                   ": storage in a Secret needs the Kubernetes API (--kubeconfig, or a pod)"};
    }
    if (auto ok = it->second->prepare(); !ok)
      return Error{"acme resolver " + r.name + ": " + ok.error()};
    if (r.challenge == ChallengeType::kDns01 && r.problem.empty()) {
      auto provider = make_dns_provider(ex_, r.dns);
      if (!provider) return Error{"acme resolver " + r.name + ": " + provider.error()};
      dns_providers_[r.name] = std::move(*provider);
    }
  }
  return model::kOk;
}

awaitable<void> Manager::load() {
  std::chrono::seconds pause{5};
  bool published = false;
  while (!stopping_) {
    const ResolverConfig* failed = nullptr;
    std::string why;
    for (const auto& r : resolvers_) {
      auto files = co_await storage_.at(r.name)->load();
      if (!files) {
        failed = &r;
        why = files.error();
        break;
      }
      take(r, std::move(*files));
    }
    if (!failed) {
      log::info("acme: " + std::to_string(certificates_.size()) + " stored certificate(s) loaded");
      loaded_ = true;
      publish();
      co_return;
    }
    stats_.add("acme_failures_total", failed->name);
    log::error("acme resolver " + failed->name + ": " + why +
               "; no certificate is requested until it can be read; next try in " +
               std::to_string(pause.count()) + " s");
    if (!published) publish();  // The routing table goes out without ACME certificates.
    published = true;
    asio::steady_timer t(ex_, pause);
    co_await t.async_wait(kNoThrow);
    pause = std::min(pause * 2, kLongestLoadPause);
  }
}

void Manager::take(const ResolverConfig& r, Files files) {
  if (auto key = take_file(files, "account.key")) account_keys_[r.name] = std::move(*key);
  const std::string where = storage_.at(r.name)->where() + ": ";
  for (const auto& [name, data] : files) {
    if (!name.starts_with("certs/") || !name.ends_with(".domains")) continue;
    const std::string base = name.substr(0, name.size() - 8);
    auto cert = files.find(base + ".crt");
    auto key = files.find(base + ".key");
    if (cert == files.end() || key == files.end()) continue;
    auto domains = text::split_list(data);
    auto checked = tls::check_key_pair(cert->second, key->second, where + base + ".crt",
                                       where + base + ".key");
    auto v = validity(cert->second);
    if (domains.empty() || !checked || !v) {
      log::warn("acme: ignoring " + where + base + ".crt: " +
                (!checked ? checked.error()
                 : !v     ? v.error()
                          : "no domains"));
      continue;
    }
    certificates_[{r.name, domains}] = Stored{domains, cert->second, key->second, *v};
    report_expiry({r.name, domains}, *v);
  }
}

void Manager::publish() {
  model::ProviderConfig config;
  for (const auto& [key, c] : certificates_) {
    model::ConfigCertificate cert;
    cert.name = certificate_name(key.first, c.domains);
    cert.domains = c.domains;
    cert.cert_pem = c.cert_pem;
    cert.key_pem = c.key_pem;
    cert.source = "acme resolver " + key.first;
    config.certificates.push_back(std::move(cert));
  }
  config.acme_challenges = challenges_;
  config.certificate_status = status();
  sink_(std::move(config));
}

std::vector<model::CertificateStatus> Manager::status() const {
  std::vector<model::CertificateStatus> out;
  const auto now = std::chrono::system_clock::now();
  for (const auto& [key, router] : wanted_) {
    model::CertificateStatus s{key.first, key.second, router, "", "pending", "", 0, 0};
    if (auto c = certificates_.find(key); c != certificates_.end()) {
      const auto& v = c->second.validity;
      s.certificate = certificate_name(key.first, key.second);
      s.state = "valid";
      s.renew_at = unix_seconds(v.not_before + (v.not_after - v.not_before) * 2 / 3);
    }
    if (auto a = attempts_.find(key); a != attempts_.end() && !a->second.error.empty()) {
      s.state = "failing";
      s.last_error = a->second.error;
      s.retry_at =
          unix_seconds(now + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 a->second.next - Clock::now()));
    }
    out.push_back(std::move(s));
  }
  return out;
}

void Manager::want(std::vector<CertificateRequest> requests) {
  std::map<Wanted, std::string> wanted;
  for (auto& r : requests) {
    const auto* res = resolver(r.resolver);
    if (!res) {
      if (reported_.insert("resolver " + r.resolver).second) {
        log::error("acme: router " + r.router + " names certificate resolver '" + r.resolver +
                   "', which is not configured (--certificatesresolvers." + r.resolver +
                   ".acme.*); it gets the default certificate");
      }
      continue;
    }
    if (!res->problem.empty()) {
      if (reported_.insert("problem " + r.resolver).second) {
        log::error("acme: certificate resolver " + r.resolver + ": " + res->problem +
                   "; it obtains no certificate (router " + r.router +
                   " gets the default certificate)");
      }
      continue;
    }
    bool wildcard = false;
    for (const auto& d : r.domains) wildcard = wildcard || d.find('*') != std::string::npos;
    if (wildcard && res->challenge != ChallengeType::kDns01) {
      if (reported_.insert("wildcard " + r.router).second) {
        log::error("acme: router " + r.router + ": a wildcard name needs the DNS-01 challenge " +
                   "(certificate resolver " + r.resolver +
                   " uses another); it gets the default certificate");
      }
      continue;
    }
    wanted.emplace(Wanted{r.resolver, r.domains}, r.router);
  }
  if (wanted == wanted_) return;
  wanted_ = std::move(wanted);
  if (loaded_) publish();  // Their status, for the admin API.
  wake_.cancel();
}

void Manager::applied(const model::RoutingTable& table) {
  applied_.clear();
  for (const auto& c : table.acme_challenges) applied_.insert(c.token.empty() ? c.domain : c.token);
}

bool Manager::due(const Wanted& key, std::chrono::system_clock::time_point now) const {
  auto it = certificates_.find(key);
  if (it == certificates_.end()) return true;
  const auto& v = it->second.validity;
  return now >= v.not_before + (v.not_after - v.not_before) * 2 / 3;
}

awaitable<model::Status> Manager::present(const model::AcmeChallenge& c) {
  challenges_.push_back(c);
  publish();
  const std::string id = c.token.empty() ? c.domain : c.token;
  auto deadline = Clock::now() + kPresentTimeout;
  asio::steady_timer tick(ex_);
  while (!applied_.count(id)) {
    if (stopping_ || Clock::now() >= deadline) {
      co_return Error{"the data plane did not apply the challenge within 30 s (is it running?)"};
    }
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(kNoThrow);
  }
  co_return model::kOk;
}

void Manager::withdraw(const model::AcmeChallenge& c) {
  std::erase(challenges_, c);
  publish();
}

awaitable<void> Manager::obtain(const Wanted& key) {
  const auto& r = *resolver(key.first);
  const auto& domains = key.second;
  const std::string what = "acme resolver " + r.name + ": " + text::join(domains, ",");
  auto& attempt = attempts_[key];
  auto fail = [&](const std::string& why) {
    attempt.pause =
        attempt.pause.count() == 0 ? kFirstPause : std::min(attempt.pause * 2, kLongestPause);
    attempt.next = Clock::now() + attempt.pause;
    attempt.error = why;
    stats_.add("acme_failures_total", r.name);
    stats_.set("acme_certificate_failing", certificate_label(key), 1);
    log::error(what + ": " + why + "; next try in " + std::to_string(attempt.pause.count()) + " s");
    publish();
  };
  // The account key, made on first use and kept with the resolver's storage.
  auto& storage = *storage_.at(r.name);
  auto known = account_keys_.find(r.name);
  auto account = known != account_keys_.end() ? Key::from_pem(known->second) : Key::generate();
  if (!account) co_return fail("account key in " + storage.where() + ": " + account.error());
  if (known == account_keys_.end()) {
    auto pem = account->pem();
    // Named, not a braced list inside co_await: GCC 12 miscompiles the latter.
    const Files files{{std::string("account.key"), pem}};
    if (auto ok = co_await storage.save(files); !ok) {
      co_return fail("storing the account key: " + ok.error());
    }
    account_keys_[r.name] = std::move(pem);
  }
  Client client(ex_, r.ca_server, r.ca_pem, *account, r.email);
  if (auto ok = co_await client.init(); !ok) co_return fail(ok.error());
  log::info(what + ": requesting a certificate (" + challenge_name(r.challenge) + ")");
  // DNS-01 goes through the resolver's DNS provider; the others through the data plane.
  Presenter* presenter = this;
  std::unique_ptr<Dns01Presenter> dns;
  if (r.challenge == ChallengeType::kDns01) {
    dns = std::make_unique<Dns01Presenter>(ex_, *dns_providers_.at(r.name), r.dns);
    presenter = dns.get();
  }
  auto issued = co_await client.obtain(domains, r.challenge, *presenter);
  if (!issued) co_return fail(issued.error());
  auto v = validity(issued->cert_pem);
  if (!v) co_return fail("the certificate the CA sent: " + v.error());
  const std::string base = "certs/" + file_name(domains);
  const Files files{{base + ".crt", issued->cert_pem},
                    {base + ".key", issued->key_pem},
                    {base + ".domains", text::join(domains, ",")}};
  if (auto ok = co_await storage.save(files); !ok) {
    co_return fail("storing: " + ok.error());
  }
  attempts_.erase(key);
  certificates_[key] = Stored{domains, std::move(issued->cert_pem), std::move(issued->key_pem), *v};
  report_expiry(key, *v);
  stats_.set("acme_certificate_failing", certificate_label(key), 0);
  stats_.add("acme_certificates_total", r.name);
  auto days =
      std::chrono::duration_cast<std::chrono::hours>(v->not_after - v->not_before).count() / 24;
  log::info(what + ": certificate obtained, valid " + std::to_string(days) + " days");
  publish();
}

awaitable<void> Manager::run() {
  co_await load();
  while (!stopping_) {
    auto now = std::chrono::system_clock::now();
    // The earliest moment something falls due: a renewal, or a retry after a failure.
    auto next = Clock::now() + std::chrono::hours(1);
    const auto wanted = wanted_;  // want() may replace it while a certificate is obtained.
    for (const auto& [key, router] : wanted) {
      if (stopping_) break;
      auto a = attempts_.find(key);
      if (a != attempts_.end() && Clock::now() < a->second.next) {
        next = std::min(next, a->second.next);
        continue;
      }
      if (due(key, now)) {
        co_await obtain(key);
        if (auto failed = attempts_.find(key); failed != attempts_.end()) {
          next = std::min(next, failed->second.next);
        }
      } else {
        const auto& v = certificates_.at(key).validity;
        auto renew_at = v.not_before + (v.not_after - v.not_before) * 2 / 3;
        next = std::min(next, Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 renew_at - std::chrono::system_clock::now()));
      }
    }
    wake_.expires_at(next);
    co_await wake_.async_wait(kNoThrow);  // Cancelled when routers want something new.
  }
}

void Manager::stop() {
  stopping_ = true;
  wake_.cancel();
}

}  // namespace wharf::controller::acme
