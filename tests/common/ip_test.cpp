#include <gtest/gtest.h>

#include "model/ip.hpp"
#include "model/routing_table.hpp"

namespace wharf::model {
namespace {

TEST(Ip, ParsesBothFamiliesAndMappedV4) {
  auto a = IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->v4);
  EXPECT_EQ(a->to_string(), "192.0.2.1");
  auto m = IpAddress::parse("::ffff:192.0.2.1");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, *a);
  auto b = IpAddress::parse("[2001:db8::1]");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("300.1.1.1"));
  EXPECT_FALSE(IpAddress::parse("example.com"));
}

TEST(Ip, CidrContains) {
  auto c = Cidr::parse("10.1.0.0/16");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->contains(*IpAddress::parse("10.1.200.3")));
  EXPECT_FALSE(c->contains(*IpAddress::parse("10.2.0.1")));
  EXPECT_EQ(c->to_string(), "10.1.0.0/16");
  auto host = Cidr::parse("2001:db8::5");
  ASSERT_TRUE(host.ok());
  EXPECT_TRUE(host->contains(*IpAddress::parse("2001:db8::5")));
  EXPECT_FALSE(host->contains(*IpAddress::parse("2001:db8::6")));
  auto all = Cidr::parse("0.0.0.0/0");
  EXPECT_TRUE(all->contains(*IpAddress::parse("8.8.8.8")));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/40").ok());
  auto list = parse_cidr_list("127.0.0.1/32, ::1");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  EXPECT_FALSE(parse_cidr_list("127.0.0.1,nope").ok());
}

}  // namespace
}  // namespace wharf::model

namespace wharf::model {
namespace {

TEST(Ip, ServerUrlForIpOnlyIpLiteralsAndValidPorts) {
  EXPECT_EQ(server_url_for_ip("10.0.0.5", 8080), "http://10.0.0.5:8080");
  EXPECT_EQ(server_url_for_ip("fd00::5", 80), "http://[fd00::5]:80");
  EXPECT_EQ(server_url_for_ip("10.244.1.http://x", 80), std::nullopt);
  EXPECT_EQ(server_url_for_ip("db.internal", 80), std::nullopt);
  EXPECT_EQ(server_url_for_ip("10.0.0.5", 0), std::nullopt);
  EXPECT_EQ(server_url_for_ip("10.0.0.5", 65536), std::nullopt);
}

}  // namespace
}  // namespace wharf::model
