#include "controller/acme/manager.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "controller/tls/key_pair.hpp"
#include "log/log.hpp"
#include "text/split_list.hpp"

namespace wharf::controller::acme {
namespace {

using model::Error;
using model::Result;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kFirstPause{60};
constexpr std::chrono::seconds kLongestPause{24 * 3600};
constexpr std::chrono::seconds kPresentTimeout{30};

std::optional<std::string> read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Key material on disk: mode 0600 from the first byte, replaced atomically (write aside,
// fsync, rename) so a crash never leaves half a key.
Result<bool> write_private(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{tmp + ": " + std::strerror(errno)};
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Error{tmp + ": " + std::strerror(errno)};
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error{path + ": " + std::strerror(errno)};
  return true;
}

std::string file_name(const std::vector<std::string>& domains) {
  std::string out = domains.front();
  for (auto& c : out) {
    if (c == '/' || c == '*') c = '_';
  }
  return out;
}

}  // namespace

Manager::Manager(asio::any_io_executor ex, std::vector<ResolverConfig> resolvers, Stats& stats,
                 Sink sink)
    : ex_(ex), resolvers_(std::move(resolvers)), stats_(stats), sink_(std::move(sink)), wake_(ex) {}

const ResolverConfig* Manager::resolver(const std::string& name) const {
  for (const auto& r : resolvers_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<bool> Manager::load() {
  for (const auto& r : resolvers_) {
    std::error_code ec;
    std::filesystem::create_directories(dir(r) + "/certs", ec);
    if (ec) return Error{"acme resolver " + r.name + ": storage " + dir(r) + ": " + ec.message()};
    ::chmod(r.storage.c_str(), 0700);
    ::chmod(dir(r).c_str(), 0700);
    for (const auto& entry : std::filesystem::directory_iterator(dir(r) + "/certs", ec)) {
      const auto path = entry.path().string();
      if (!path.ends_with(".domains")) continue;
      const std::string base = path.substr(0, path.size() - 8);
      auto names = read(path);
      auto cert = read(base + ".crt");
      auto key = read(base + ".key");
      if (!names || !cert || !key) continue;
      auto domains = text::split_list(*names);
      auto checked = tls::check_key_pair(*cert, *key, base + ".crt", base + ".key");
      auto v = validity(*cert);
      if (domains.empty() || !checked || !v) {
        log::warn("acme: ignoring " + base + ".crt: " +
                  (!checked ? checked.error()
                   : !v     ? v.error()
                            : "no domains"));
        continue;
      }
      certificates_[{r.name, domains}] = Stored{domains, *cert, *key, *v};
    }
  }
  log::info("acme: " + std::to_string(certificates_.size()) + " stored certificate(s) loaded");
  publish();
  return true;
}

void Manager::publish() {
  model::ProviderConfig config;
  for (const auto& [key, c] : certificates_) {
    model::ConfigCertificate cert;
    cert.name = key.first + "-" + file_name(c.domains);
    cert.domains = c.domains;
    cert.cert_pem = c.cert_pem;
    cert.key_pem = c.key_pem;
    cert.source = "acme resolver " + key.first;
    config.certificates.push_back(std::move(cert));
  }
  config.acme_challenges = challenges_;
  sink_(std::move(config));
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
    bool wildcard = false;
    for (const auto& d : r.domains) wildcard = wildcard || d.find('*') != std::string::npos;
    if (wildcard) {
      if (reported_.insert("wildcard " + r.router).second) {
        log::error("acme: router " + r.router +
                   ": a wildcard name needs the DNS-01 challenge, "
                   "which Wharf does not do; it gets the default certificate");
      }
      continue;
    }
    wanted.emplace(Wanted{r.resolver, r.domains}, r.router);
  }
  if (wanted == wanted_) return;
  wanted_ = std::move(wanted);
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

awaitable<model::Result<bool>> Manager::present(const model::AcmeChallenge& c) {
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
  co_return true;
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
    stats_.add("acme_failures_total", r.name);
    log::error(what + ": " + why + "; next try in " + std::to_string(attempt.pause.count()) + " s");
  };
  // The account key, made on first use and kept with the resolver's storage.
  const std::string key_path = dir(r) + "/account.key";
  auto pem = read(key_path);
  auto account = pem ? Key::from_pem(*pem) : Key::generate();
  if (!account) co_return fail("account key " + key_path + ": " + account.error());
  if (!pem) {
    if (auto ok = write_private(key_path, account->pem()); !ok) co_return fail(ok.error());
  }
  Client client(ex_, r.ca_server, r.ca_pem, *account, r.email);
  if (auto ok = co_await client.init(); !ok) co_return fail(ok.error());
  log::info(what + ": requesting a certificate (" +
            (r.challenge == ChallengeType::kHttp01 ? "http-01" : "tls-alpn-01") + ")");
  auto issued = co_await client.obtain(domains, r.challenge, *this);
  if (!issued) co_return fail(issued.error());
  auto v = validity(issued->cert_pem);
  if (!v) co_return fail("the certificate the CA sent: " + v.error());
  const std::string base = dir(r) + "/certs/" + file_name(domains);
  for (const auto& [path, data] :
       {std::pair{base + ".crt", issued->cert_pem}, std::pair{base + ".key", issued->key_pem},
        std::pair{base + ".domains", text::join(domains, ",")}}) {
    if (auto ok = write_private(path, data); !ok) co_return fail("storing: " + ok.error());
  }
  attempts_.erase(key);
  certificates_[key] = Stored{domains, std::move(issued->cert_pem), std::move(issued->key_pem), *v};
  stats_.add("acme_certificates_total", r.name);
  auto days =
      std::chrono::duration_cast<std::chrono::hours>(v->not_after - v->not_before).count() / 24;
  log::info(what + ": certificate obtained, valid " + std::to_string(days) + " days");
  publish();
}

awaitable<void> Manager::run() {
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
