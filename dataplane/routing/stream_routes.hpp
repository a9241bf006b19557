#pragma once

// The table's TCP and UDP routers and services compiled for the connections and sessions that
// will use them (docs/tcp-udp.md). Built with the table on the control thread, then only read.

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/routing_table.hpp"
#include "rules/ast.hpp"

namespace wharf::dataplane::routing {

// Whether a router listing `entrypoints` (empty: every one) serves `ep`: HTTP and TCP routers
// alike.
inline bool serves_entrypoint(const std::vector<std::string>& entrypoints, std::string_view ep) {
  return entrypoints.empty() ||
         std::find(entrypoints.begin(), entrypoints.end(), ep) != entrypoints.end();
}

struct CompiledStreamServer {
  std::string address;  // As the table gives it, for logs.
  boost::asio::ip::tcp::endpoint endpoint;
  std::uint32_t weight = 1;
  std::string resolve_error;  // Non-empty when the host did not resolve at apply time.
};

// A TCP or UDP service (UDP ones leave proxy_protocol and connect_timeout alone).
struct CompiledStreamService {
  std::string name;
  std::vector<CompiledStreamServer> servers;
  std::uint32_t proxy_protocol = 0;  // 1 or 2: the PROXY header servers get first.
  std::chrono::milliseconds connect_timeout{30'000};
  // Indexes into servers interleaved by weight (smooth weighted round robin), as HTTP
  // services have; servers that did not resolve are left out.
  std::vector<std::uint32_t> schedule;
  mutable std::atomic<std::uint64_t> next{0};  // Relaxed; only spreads load.

  // The next server in turn, skipping those in `tried` (one lap at most); nullptr when none is
  // left.
  const CompiledStreamServer* pick(const std::vector<const CompiledStreamServer*>& tried) const;
};

struct CompiledTcpRouter {
  enum class Tls { kNone, kTerminate, kPassthrough };
  std::string name;
  rules::Node rule;
  std::int64_t priority = 0;             // The table's, or the rule's length when it gives 0.
  std::vector<std::string> entrypoints;  // Empty: all.
  // A terminating router's TLS options are chosen by server name with the HTTP routers'
  // (CompiledTable::build), so the router keeps none of its own.
  Tls tls = Tls::kNone;
  const CompiledStreamService* service = nullptr;
  // Its rule names no server name (no HostSNI with a name, no HostSNIRegexp): with TLS, an
  // HTTPS router for the name wins over it (Traefik's order, tcp/decision.hpp).
  bool catch_all = false;

  bool on_entrypoint(std::string_view ep) const;
};

struct CompiledUdpRouter {
  std::string name;
  std::vector<std::string> entrypoints;  // Empty: every UDP one.
  const CompiledStreamService* service = nullptr;
};

class StreamRoutes {
 public:
  // `table` has passed model::validate (its TCP rules parse, its services exist); what
  // still fails here is said in the error.
  static model::Result<std::shared_ptr<const StreamRoutes>> build(const model::RoutingTable& table);

  // The first TCP router of `entrypoint`, by priority then name, whose rule matches, among
  // the TLS ones (terminate, passthrough) or the others: as Traefik, a TLS connection only
  // reaches the first, a plain one the second.
  const CompiledTcpRouter* match(std::string_view entrypoint, const rules::ConnectionView& conn,
                                 bool tls) const;
  // Whether the entrypoint has a TCP router of that kind.
  bool any_on(std::string_view entrypoint, bool tls) const;

  // The UDP router of a UDP entrypoint: the first by name when several list it (a datagram
  // carries nothing to choose by), nullptr when none does.
  const CompiledUdpRouter* udp_route(std::string_view entrypoint) const;

 private:
  std::vector<std::unique_ptr<CompiledStreamService>> services_;  // TCP ones.
  std::vector<std::unique_ptr<CompiledStreamService>> udp_services_;
  std::vector<std::unique_ptr<CompiledTcpRouter>> routers_;  // By priority, then name.
  std::vector<CompiledUdpRouter> udp_routers_;               // By name.
};

}  // namespace wharf::dataplane::routing
