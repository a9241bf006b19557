#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace wharf::model {

// An IPv4 or IPv6 address kept as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so a
// v4 client reaching a dual-stack socket compares equal to the same v4 address elsewhere.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;

  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress from_v4(std::uint32_t host_order);
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress base;
  int prefix = 0;  // Counted over the 128-bit mapped form.

  // Accepts "10.0.0.0/8", "2001:db8::/32" or a bare address (a host route).
  static Result<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& ip) const;
  std::string to_string() const;
};

// Parses a comma-separated CIDR list such as the --trusted-proxies flag.
Result<std::vector<Cidr>> parse_cidr_list(std::string_view text);
bool any_contains(const std::vector<Cidr>& list, const IpAddress& ip);

}  // namespace wharf::model
