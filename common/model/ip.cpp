#include "model/ip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace wharf::model {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // Bracketed IPv6 literals come from Host headers and URLs.
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  in_addr a4{};
  if (inet_pton(AF_INET, buf, &a4) == 1) return from_v4(ntohl(a4.s_addr));
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip.v4 = std::memcmp(ip.bytes.data(), kMapped, 12) == 0;
    return ip;
  }
  return std::nullopt;
}

IpAddress IpAddress::from_v4(std::uint32_t host_order) {
  IpAddress ip;
  ip.bytes[10] = ip.bytes[11] = 0xff;
  ip.bytes[12] = static_cast<std::uint8_t>(host_order >> 24);
  ip.bytes[13] = static_cast<std::uint8_t>(host_order >> 16);
  ip.bytes[14] = static_cast<std::uint8_t>(host_order >> 8);
  ip.bytes[15] = static_cast<std::uint8_t>(host_order);
  ip.v4 = true;
  return ip;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (v4) {
    // Formatted by hand: inet_ntop goes through sprintf, and the data plane formats the client
    // address for every request it forwards.
    char* p = buf;
    for (int i = 12; i < 16; ++i) {
      unsigned b = bytes[i];
      if (b >= 100) *p++ = static_cast<char>('0' + b / 100);
      if (b >= 10) *p++ = static_cast<char>('0' + b / 10 % 10);
      *p++ = static_cast<char>('0' + b % 10);
      if (i < 15) *p++ = '.';
    }
    return std::string(buf, p);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return Error{"'" + std::string(text) + "' is not an IP address or CIDR range"};
  Cidr c{*addr, 128};
  if (slash != std::string_view::npos) {
    auto bits = text.substr(slash + 1);
    int n = -1;
    auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    int max = addr->v4 ? 32 : 128;
    if (ec != std::errc{} || p != bits.data() + bits.size() || n < 0 || n > max) {
      return Error{"'" + std::string(text) + "' has a bad prefix length (0.." +
                   std::to_string(max) + ")"};
    }
    c.prefix = addr->v4 ? n + 96 : n;
  }
  // Clear host bits so contains() can compare whole bytes.
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(c.prefix - i * 8, 0, 8);
    c.base.bytes[i] &= static_cast<std::uint8_t>(0xff00 >> keep);
  }
  return c;
}

bool Cidr::contains(const IpAddress& ip) const {
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(prefix - i * 8, 0, 8);
    if (keep == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff00 >> keep);
    if ((ip.bytes[i] & mask) != base.bytes[i]) return false;
  }
  return true;
}

std::string Cidr::to_string() const {
  return base.to_string() + "/" + std::to_string(base.v4 ? prefix - 96 : prefix);
}

Result<std::vector<Cidr>> parse_cidr_list(std::string_view text) {
  std::vector<Cidr> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      auto c = Cidr::parse(item);
      if (!c) return Error{c.error()};
      out.push_back(*c);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool any_contains(const std::vector<Cidr>& list, const IpAddress& ip) {
  for (const auto& c : list) {
    if (c.contains(ip)) return true;
  }
  return false;
}

}  // namespace wharf::model
