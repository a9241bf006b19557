// DNS-01's RFC 2136 provider against a real BIND (named) on 127.0.0.1: TSIG-signed updates add
// and remove TXT records, and every refusal names the zone and the reason.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "controller/acme/dns/rfc2136.hpp"
#include "test_common/named_server.hpp"

namespace wharf::test {
namespace {

namespace dns = controller::acme::dns;

// Runs one provider call to its end.
model::Status run(dns::Provider& p, bool add, const std::string& fqdn, const std::string& value) {
  boost::asio::io_context io;
  model::Status result = model::Error{"not run"};
  boost::asio::co_spawn(
      io,
      // if/else, not ?: — GCC 12 runs both co_await operands of a conditional expression.
      [&]() -> boost::asio::awaitable<void> {
        const dns::Challenge c{fqdn, value, "", "", ""};
        if (add) {
          result = co_await p.present(c);
        } else {
          result = co_await p.cleanup(c);
        }
      },
      boost::asio::detached);
  io.run();
  return result;
}

dns::Rfc2136 provider(const NamedServer& ns, std::map<std::string, std::string> env = {}) {
  env.emplace("RFC2136_NAMESERVER", ns.address());
  env.emplace("RFC2136_TSIG_KEY", NamedServer::kKeyName);
  env.emplace("RFC2136_TSIG_SECRET", NamedServer::kKeySecret);
  env.emplace("RFC2136_TSIG_ALGORITHM", "hmac-sha256.");
  env.emplace("RFC2136_TIMEOUT", "5");
  auto o = dns::rfc2136_options(env);
  EXPECT_TRUE(o.ok()) << o.error();
  return dns::Rfc2136(*o);
}

TEST(Rfc2136, SignedUpdatesAddAndRemoveTxtRecordsBesideEachOther) {
  NamedServer ns;
  auto p = provider(ns);
  const std::string name = "_acme-challenge.home.example";
  // A wildcard and its apex put two values at one name; both stay until each is removed.
  ASSERT_TRUE(run(p, true, name, "token-one").ok());
  ASSERT_TRUE(run(p, true, name, "token-two").ok());
  EXPECT_EQ(ns.txt(name), "\"token-one\"\n\"token-two\"\n");
  ASSERT_TRUE(run(p, false, name, "token-one").ok());
  EXPECT_EQ(ns.txt(name), "\"token-two\"\n");
  ASSERT_TRUE(run(p, false, name, "token-two").ok());
  EXPECT_EQ(ns.txt(name), "");
  // Deeper names find the same zone.
  ASSERT_TRUE(run(p, true, "_acme-challenge.a.b.home.example", "deep").ok());
  EXPECT_EQ(ns.txt("_acme-challenge.a.b.home.example"), "\"deep\"\n");
}

TEST(Rfc2136, RefusalsNameTheZoneAndTheReason) {
  NamedServer ns;
  // The wrong secret: the server cannot verify us.
  auto wrong = provider(ns, {{"RFC2136_TSIG_SECRET", "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="}});
  auto r = run(wrong, true, "_acme-challenge.home.example", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("in zone home.example at 127.0.0.1"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("NOTAUTH"), std::string::npos) << r.error();
  // No key at all: the zone takes signed updates only.
  auto o = dns::rfc2136_options({{"RFC2136_NAMESERVER", ns.address()}});
  dns::Rfc2136 unsigned_updates(*o);
  r = run(unsigned_updates, true, "_acme-challenge.home.example", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("REFUSED"), std::string::npos) << r.error();
  // A name outside every zone the server has.
  r = run(*&wrong, true, "_acme-challenge.elsewhere.test", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("names no zone for _acme-challenge.elsewhere.test"), std::string::npos)
      << r.error();
  EXPECT_EQ(ns.txt("_acme-challenge.home.example"), "");
}

}  // namespace
}  // namespace wharf::test
