#include "dataplane/tcp/decision.hpp"

namespace wharf::dataplane::l4 {

using Claim = routing::CompiledTable::HttpsClaim;

bool has_tcp_routes(const routing::CompiledTable& table, std::string_view entrypoint) {
  const auto& s = table.streams();
  return s.any_on(entrypoint, false) || s.any_on(entrypoint, true);
}

const routing::CompiledTcpRouter* decide_before_reading(const routing::CompiledTable& table,
                                                        std::string_view entrypoint,
                                                        const model::IpAddress& client) {
  const auto& s = table.streams();
  if (!s.any_on(entrypoint, false) || s.any_on(entrypoint, true) ||
      table.any_https_on(entrypoint)) {
    return nullptr;
  }
  return s.match(entrypoint, rules::ConnectionView{{}, nullptr, &client}, false);
}

const routing::CompiledTcpRouter* decide(const routing::CompiledTable& table,
                                         std::string_view entrypoint,
                                         const model::IpAddress& client, const ClientHello& hello) {
  const auto& s = table.streams();
  if (hello.status != ClientHello::Status::kOk) {
    return s.match(entrypoint, rules::ConnectionView{{}, nullptr, &client}, false);
  }
  const rules::ConnectionView conn{hello.server_name, &hello.alpn, &client};
  const auto claim = table.https_claim(entrypoint, hello.server_name);
  if (claim == Claim::kHost) return nullptr;
  const auto* tcp = s.match(entrypoint, conn, true);
  if (tcp && !tcp->catch_all) return tcp;
  if (claim == Claim::kHostless) return nullptr;
  return tcp;
}

}  // namespace wharf::dataplane::l4
