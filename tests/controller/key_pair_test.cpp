// Certificate/key checks the controller runs before a certificate may enter the table.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "controller/tls/key_pair.hpp"

namespace wharf::controller::tls {
namespace {

std::string pem(const std::string& name) {
  std::ifstream in(std::string(WHARF_FIXTURES_DIR) + "/tls/" + name);
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

model::Result<KeyPairInfo> check(const std::string& cert, const std::string& key) {
  return check_key_pair(cert, key, "tls.crt", "tls.key");
}

TEST(KeyPair, MatchingPairGivesItsNamesAndExpiry) {
  auto info = check(pem("web.crt"), pem("web.key"));
  ASSERT_TRUE(info.ok()) << info.error();
  EXPECT_EQ(info->dns_names, (std::vector<std::string>{"web.example.com", "www.example.com"}));
  EXPECT_EQ(info->not_after.size(), 20u);  // 2126-...T...Z
  EXPECT_EQ(info->not_after.back(), 'Z');
  // No subjectAltName: the common name.
  auto legacy = check(pem("cn.crt"), pem("cn.key"));
  ASSERT_TRUE(legacy.ok()) << legacy.error();
  EXPECT_EQ(legacy->dns_names, std::vector<std::string>{"legacy.example.com"});
}

TEST(KeyPair, EveryBrokenInputIsNamedWithoutQuotingKeys) {
  EXPECT_EQ(check(pem("web.crt"), pem("other.key")).error(),
            "tls.key does not belong to the certificate in tls.crt");
  EXPECT_EQ(check("", pem("web.key")).error(), "tls.crt is empty");
  EXPECT_EQ(check(pem("web.crt"), "").error(), "tls.key is empty");
  EXPECT_TRUE(check("hello", pem("web.key")).error().starts_with("tls.crt: not a PEM certificate"));
  // Encrypted keys would need a passphrase prompt: refused, never prompted for.
  auto enc = check(pem("web.crt"), pem("web-encrypted.key"));
  ASSERT_FALSE(enc.ok());
  EXPECT_TRUE(enc.error().starts_with("tls.key: not a PEM private key")) << enc.error();
  // A chain whose second certificate is damaged.
  std::string chain = pem("web.crt") + pem("cn.crt");
  chain.replace(chain.rfind("MII"), 3, "%%%");
  auto bad_chain = check(chain, pem("web.key"));
  ASSERT_FALSE(bad_chain.ok());
  EXPECT_TRUE(bad_chain.error().starts_with("tls.crt: a certificate after the first"))
      << bad_chain.error();
  // A good chain passes.
  EXPECT_TRUE(check(pem("web.crt") + pem("cn.crt"), pem("web.key")).ok());
  for (const auto& e :
       {check(pem("web.crt"), pem("other.key")).error(), check("x", pem("web.key")).error()}) {
    EXPECT_EQ(e.find("PRIVATE KEY"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace wharf::controller::tls
