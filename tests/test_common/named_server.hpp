#pragma once

// A real authoritative DNS server for the DNS-01 tests: BIND's named (Debian bind9) on
// 127.0.0.1 and a port of its own, serving zone `home.example` from a temporary directory. It
// takes RFC 2136 updates signed with the TSIG key below (hmac-sha256); `open_zone` takes them
// unsigned from 127.0.0.1 instead.

#include <memory>
#include <string>

#include "test_common/child_process.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"

namespace wharf::test {

class NamedServer {
 public:
  static constexpr const char* kZone = "home.example";
  static constexpr const char* kKeyName = "acme-key";
  static constexpr const char* kKeySecret = "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ==";

  // `ns_address`: the address of the zone's one nameserver (ns.home.example) in its NS/A
  // records, where the controller looks for the authoritative servers (on port 53).
  explicit NamedServer(bool open_zone = false, const std::string& ns_address = "127.0.0.1");
  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // The TXT values at `name`, as dig prints them (quoted, one per line, sorted).
  std::string txt(const std::string& name) const;
  std::string log() const { return named_->log(); }

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> named_;
};

}  // namespace wharf::test
