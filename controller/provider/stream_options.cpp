#include "controller/provider/stream_options.hpp"

#include "text/duration.hpp"
#include "text/integer.hpp"
#include "text/split_list.hpp"

namespace wharf::controller {

std::optional<std::string> stream_service_option(model::ConfigStreamService& s,
                                                 std::string_view key, std::string_view value,
                                                 StreamProtocol protocol) {
  if (protocol == StreamProtocol::kUdp) return std::nullopt;  // UDP has no options but the port.
  if (key == "loadbalancer.proxyprotocol.version") {
    if (!text::parse_integer(value, s.proxy_protocol) || s.proxy_protocol < 1 ||
        s.proxy_protocol > 2) {
      s.proxy_protocol = 0;
      return "expected 1 or 2";
    }
  } else if (key == "loadbalancer.serverstransport") {
    s.transport = std::string(value);
  } else if (key == "loadbalancer.terminationdelay") {
    if (!text::parse_duration_ms(value)) return "expected a duration such as 100ms";
  } else if (key == "loadbalancer.server.tls") {
    return "TLS towards TCP servers is not supported; let the server speak TLS behind a "
           "passthrough router, or terminate TLS in Wharf and reach the server in clear text";
  } else {
    return std::nullopt;
  }
  return std::string();
}

std::optional<std::string> udp_router_option(model::ConfigUdpRouter& r, std::string_view key,
                                             std::string_view value) {
  if (key == "entrypoints") {
    r.entrypoints = text::split_list(value);
  } else if (key == "service") {
    r.service = std::string(value);
  } else {
    return std::nullopt;
  }
  return std::string();
}

}  // namespace wharf::controller
