#include "controller/acme/dns/rfc2136.hpp"

#include <charconv>
#include <random>

#include "text/base64.hpp"

namespace wharf::controller::acme::dns {
namespace {

using model::Error;
using model::Result;
using model::Status;

std::uint64_t now_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

Result<std::uint32_t> number(const std::map<std::string, std::string>& env, const char* name,
                             std::uint32_t fallback, std::uint32_t max) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return fallback;
  std::uint32_t v = 0;
  const auto& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v == 0 || v > max) {
    return Error{std::string(name) + "='" + s + "': expected a whole number from 1 to " +
                 std::to_string(max)};
  }
  return v;
}

}  // namespace

Result<Rfc2136Options> rfc2136_options(const std::map<std::string, std::string>& env) {
  Rfc2136Options o;
  auto get = [&](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  const std::string ns = get("RFC2136_NAMESERVER");
  if (ns.empty()) return Error{"RFC2136_NAMESERVER is not set (the server taking the updates)"};
  auto server = parse_server(ns);
  if (!server) return Error{"RFC2136_NAMESERVER: " + server.error()};
  o.nameserver = *server;
  const std::string key = get("RFC2136_TSIG_KEY"), secret = get("RFC2136_TSIG_SECRET");
  if (key.empty() != secret.empty()) {
    return Error{key.empty() ? "RFC2136_TSIG_SECRET is set without RFC2136_TSIG_KEY"
                             : "RFC2136_TSIG_KEY is set without RFC2136_TSIG_SECRET"};
  }
  if (!key.empty()) {
    TsigKey k;
    k.name = key;
    k.algorithm =
        get("RFC2136_TSIG_ALGORITHM").empty() ? "hmac-sha1." : get("RFC2136_TSIG_ALGORITHM");
    if (!tsig_algorithm_known(k.algorithm)) {
      return Error{"RFC2136_TSIG_ALGORITHM='" + k.algorithm +
                   "': expected hmac-sha1., hmac-sha224., hmac-sha256., hmac-sha384., "
                   "hmac-sha512. or hmac-md5.sig-alg.reg.int."};
    }
    auto raw = text::base64_decode(secret);
    if (!raw || raw->empty()) return Error{"RFC2136_TSIG_SECRET is not base64"};
    k.secret = *raw;
    o.key = std::move(k);
  }
  auto ttl = number(env, "RFC2136_TTL", 120, 86'400);
  if (!ttl) return Error{ttl.error()};
  o.ttl = *ttl;
  auto timeout = number(env, "RFC2136_TIMEOUT", 10, 3'600);
  if (!timeout) return Error{timeout.error()};
  o.timeout = std::chrono::seconds(*timeout);
  return o;
}

awaitable<Result<std::string>> Rfc2136::zone_of(const std::string& fqdn) {
  // The server answers a SOA question for a name in its zone with the zone's SOA (in the
  // answer at the apex, in the authority section below it).
  Message q = query(++next_id_, fqdn, type::kSoa);
  q.recursion_desired = false;
  auto wire = encode(q);
  if (!wire) co_return Error{wire.error()};
  auto answer = co_await exchange(opt_.nameserver, *wire, false, opt_.timeout);
  if (!answer)
    co_return Error{"asking " + opt_.nameserver.host + " for the zone: " + answer.error()};
  auto m = decode(*answer);
  if (!m) co_return Error{m.error()};
  const std::string zone = soa_owner(*m);
  if (zone.empty()) {
    co_return Error{opt_.nameserver.host + " names no zone for " + fqdn + " (answer " +
                    rcode_name(m->rcode) + "): is it the zone's primary server?"};
  }
  co_return zone;
}

awaitable<Status> Rfc2136::update(std::string fqdn, std::string value, bool add) {
  auto zone = co_await zone_of(fqdn);
  if (!zone) co_return Error{zone.error()};
  Message m;
  m.id = ++next_id_;
  m.opcode = kOpUpdate;
  m.questions.push_back({*zone, type::kSoa, klass::kIn});
  Record rec = Record::txt(fqdn, add ? opt_.ttl : 0, value);
  if (!add) rec.klass = klass::kNone;  // Delete this one record (RFC 2136 section 2.5.4).
  m.authority.push_back(std::move(rec));
  std::string mac;
  Result<std::string> wire = opt_.key ? sign(m, *opt_.key, now_seconds(), mac) : encode(m);
  if (!wire) co_return Error{wire.error()};
  auto answer = co_await exchange(opt_.nameserver, *wire, true, opt_.timeout);
  const std::string what = std::string(add ? "adding" : "removing") + " TXT " + fqdn + " in zone " +
                           *zone + " at " + opt_.nameserver.host + ":" +
                           std::to_string(opt_.nameserver.port);
  if (!answer) co_return Error{what + ": " + answer.error()};
  auto reply = decode(*answer);
  if (!reply) co_return Error{what + ": " + reply.error()};
  if (reply->rcode != rcode::kNoError) {
    std::string why = rcode_name(reply->rcode);
    if (reply->rcode == rcode::kRefused) why += " (the server does not allow this update)";
    if (reply->rcode == rcode::kNotAuth) why += " (the key is not accepted for this zone)";
    co_return Error{what + ": the server answered " + why};
  }
  if (opt_.key) {
    if (auto ok = verify(*answer, *reply, *opt_.key, mac, now_seconds()); !ok) {
      co_return Error{what + ": " + ok.error()};
    }
  }
  co_return model::kOk;
}

awaitable<Status> Rfc2136::present(Challenge c) {
  co_return co_await update(std::move(c.fqdn), std::move(c.value), true);
}

awaitable<Status> Rfc2136::cleanup(Challenge c) {
  co_return co_await update(std::move(c.fqdn), std::move(c.value), false);
}

}  // namespace wharf::controller::acme::dns
