// The table's TCP and UDP routers and services: the checks validate() makes of them.
#include <charconv>
#include <set>

#include "model/routing_table.hpp"
#include "rules/parser.hpp"

namespace wharf::model {

Result<ServerAddress> parse_stream_address(std::string_view address) {
  auto bad = [&](const std::string& why) {
    return Error{"server address '" + std::string(address) + "': " + why};
  };
  ServerAddress out;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    out.host = std::string(address.substr(1, close - 1));
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return bad("expected host:port or [IPv6]:port");
    }
    port = address.substr(close + 2);
  } else {
    const auto colon = address.find(':');
    if (colon == std::string_view::npos || address.find(':', colon + 1) != std::string_view::npos) {
      return bad("expected host:port or [IPv6]:port");
    }
    out.host = std::string(address.substr(0, colon));
    port = address.substr(colon + 1);
  }
  if (out.host.empty() || out.host.find_first_of("/?#@ ") != std::string::npos) {
    return bad("missing or bad host");
  }
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p == 0 ||
      p > 65535) {
    return bad("bad port '" + std::string(port) + "'");
  }
  out.port = static_cast<std::uint16_t>(p);
  return out;
}

namespace {

template <typename Service>
Status check_servers(const char* kind, const Service& s) {
  for (const auto& srv : s.servers) {
    auto a = parse_stream_address(srv.address);
    if (!a) return Error{std::string(kind) + " service '" + s.name + "': " + a.error()};
  }
  return kOk;
}

template <typename Services>
bool defines(const Services& services, const std::string& name) {
  for (const auto& s : services) {
    if (s.name == name) return true;
  }
  return false;
}

template <typename Items>
Status unique_names(const char* what, const Items& items) {
  std::set<std::string_view> names;
  for (const auto& i : items) {
    if (i.name.empty()) return Error{std::string(what) + " with an empty name"};
    if (!names.insert(i.name).second) {
      return Error{std::string(what) + " '" + i.name + "' is defined twice"};
    }
  }
  return kOk;
}

}  // namespace

Status validate_stream_routes(const RoutingTable& t) {
  for (auto ok :
       {unique_names("tcp router", t.tcp_routers), unique_names("tcp service", t.tcp_services),
        unique_names("udp router", t.udp_routers), unique_names("udp service", t.udp_services)}) {
    if (!ok) return ok;
  }
  for (const auto& s : t.tcp_services) {
    if (auto ok = check_servers("tcp", s); !ok) return ok;
    if (s.proxy_protocol > 2) {
      return Error{"tcp service '" + s.name + "': proxy_protocol " +
                   std::to_string(s.proxy_protocol) + ": expected 1 or 2 (0: none)"};
    }
  }
  for (const auto& s : t.udp_services) {
    if (auto ok = check_servers("udp", s); !ok) return ok;
  }
  for (const auto& r : t.tcp_routers) {
    if (!defines(t.tcp_services, r.service)) {
      return Error{"tcp router '" + r.name + "' uses tcp service '" + r.service +
                   "', which is not defined"};
    }
    if (auto rule = rules::parse_tcp(r.rule); !rule) {
      return Error{"tcp router '" + r.name + "': " + rule.error()};
    }
    if (!r.tls.empty() && r.tls != "terminate" && r.tls != "passthrough") {
      return Error{"tcp router '" + r.name + "': tls '" + r.tls +
                   "': expected terminate, passthrough or nothing"};
    }
    if (!r.tls_options.empty() && r.tls != "terminate") {
      return Error{"tcp router '" + r.name + "': tls_options need tls terminate"};
    }
    if (!r.tls_options.empty() && !defines(t.tls_options, r.tls_options)) {
      return Error{"tcp router '" + r.name + "' uses TLS options '" + r.tls_options +
                   "', which are not defined"};
    }
  }
  for (const auto& r : t.udp_routers) {
    if (!defines(t.udp_services, r.service)) {
      return Error{"udp router '" + r.name + "' uses udp service '" + r.service +
                   "', which is not defined"};
    }
  }
  return kOk;
}

}  // namespace wharf::model
