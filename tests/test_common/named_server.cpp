#include "test_common/named_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <gtest/gtest.h>

namespace wharf::test {
namespace {

// A port free for both UDP and TCP on 127.0.0.1 (named needs one number for both).
std::uint16_t free_udp_and_tcp_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int u = ::socket(AF_INET, SOCK_DGRAM, 0), t = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    std::uint16_t port = 0;
    if (::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) == 0 &&
        ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      port = ntohs(a.sin_port);
    }
    ::close(u);
    ::close(t);
    if (port != 0) return port;
  }
  return 0;
}

}  // namespace

NamedServer::NamedServer(bool open_zone, const std::string& ns_address)
    : port_(free_udp_and_tcp_port()) {
  const std::string d = dir_.path();
  std::ofstream(d + "/named.conf")
      << "options {\n  directory \"" << d << "\";\n  listen-on port " << port_
      << " { 127.0.0.1; };\n  listen-on-v6 { none; };\n  pid-file \"" << d
      << "/named.pid\";\n  recursion no;\n  dnssec-validation no;\n};\n"
      << "controls { };\n"
      << "key \"" << kKeyName << "\" { algorithm hmac-sha256; secret \"" << kKeySecret << "\"; };\n"
      << "zone \"" << kZone << "\" { type primary; file \"" << d << "/zone\"; allow-update { "
      << (open_zone ? "127.0.0.1;" : std::string("key \"") + kKeyName + "\";") << " }; };\n";
  std::ofstream(d + "/zone") << "$TTL 60\n@ IN SOA ns." << kZone << ". admin." << kZone
                             << ". 1 60 60 600 60\n@ IN NS ns." << kZone << ".\nns IN A "
                             << ns_address << "\n";
  named_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/sbin/named", "-g", "-n", "1", "-c", d + "/named.conf"});
  // "running" alone is also in its first line ("running on Linux").
  const auto loaded = named_->wait_for_log("all zones loaded", std::chrono::seconds(20));
  EXPECT_NE(loaded, std::string::npos) << named_->log();
  EXPECT_NE(named_->wait_for_log("running\n", std::chrono::seconds(20), loaded), std::string::npos)
      << named_->log();
}

std::string NamedServer::txt(const std::string& name) const {
  auto r = run_command(
      {"sh", "-c",
       "dig @127.0.0.1 -p " + std::to_string(port_) + " +short TXT " + name + " | sort"});
  return r.out;
}

}  // namespace wharf::test
