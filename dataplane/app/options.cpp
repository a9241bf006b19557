#include "dataplane/app/options.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

#include "cli/flags.hpp"
#include "config/static_config.hpp"
#include "text/split_list.hpp"

namespace wharf::dataplane {
namespace {

using model::Error;
using model::Result;

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

Result<EntryPointAddress> parse_entrypoint(std::string_view v) {
  auto eq = v.find('=');
  auto bad = [&](const std::string& why) {
    return Error{"--entrypoint '" + std::string(v) + "': " + why +
                 " (expected NAME=[HOST]:PORT or NAME=[HOST]:PORT/udp)"};
  };
  if (eq == std::string_view::npos || eq == 0) return bad("missing NAME=");
  EntryPointAddress ep;
  ep.name = std::string(v.substr(0, eq));
  auto addr = v.substr(eq + 1);
  if (auto slash = addr.rfind('/'); slash != std::string_view::npos) {
    const auto proto = addr.substr(slash + 1);
    if (proto != "udp" && proto != "tcp") return bad("unknown protocol");
    ep.udp = proto == "udp";
    addr = addr.substr(0, slash);
  }
  auto colon = addr.rfind(':');
  if (colon == std::string_view::npos) return bad("missing :PORT");
  auto host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  ep.host = std::string(host);
  unsigned port = 0;
  if (!parse_number(addr.substr(colon + 1), port) || port > 65535) return bad("bad port");
  ep.port = static_cast<std::uint16_t>(port);
  return ep;
}

Result<std::vector<double>> parse_buckets(std::string_view v) {
  std::vector<double> out;
  for (const auto& part : text::split_list(v)) {
    double b = 0;
    if (!parse_number(std::string_view(part), b) || !(b > 0) || (!out.empty() && b <= out.back())) {
      return Error{"--metrics-buckets '" + std::string(v) +
                   "': expected increasing positive numbers of seconds, e.g. 0.1,0.3,1.2,5"};
    }
    out.push_back(b);
  }
  if (out.empty()) return Error{"--metrics-buckets: at least one bucket is needed"};
  return out;
}

// The data plane's part of a Traefik static configuration: its listeners. The controller reads
// the rest of the same file (and reports what is ignored; the data plane stays quiet about it).
void take_static(const config::StaticConfig& sc, Options& o) {
  for (const auto& e : sc.entrypoints) {
    EntryPointAddress ep{.name = e.name,
                         .host = e.host,
                         .port = e.port,
                         .trusted_proxies = e.trusted_ips,
                         .http2_max_streams = e.http2_max_streams.value_or(0)};
    ep.udp = e.udp;
    if (e.udp_timeout_ms) ep.udp_timeout_ms = *e.udp_timeout_ms;
    ep.proxy_protocol = e.proxy_protocol_ips;
    o.entrypoints.push_back(std::move(ep));
    // One drain for the process: the longest grace any entry point asks for.
    if (e.grace_timeout_ms) o.drain_timeout_ms = std::max(o.drain_timeout_ms, *e.grace_timeout_ms);
  }
  if (sc.access_log) {
    o.access_log = sc.access_log_path.empty() ? "stdout" : sc.access_log_path;
    o.access_log_json = sc.access_log_json;
  }
  if (!sc.metrics_buckets.empty()) o.metrics_buckets = sc.metrics_buckets;
}

}  // namespace

const char* options_help() {
  return R"(Usage: wharf-dataplane [flags]

Serves HTTP traffic from the routing table pushed by wharf-controller over the control socket.
Every flag can also be set with an environment variable, e.g. --state-dir → WHARF_STATE_DIR.

  --configfile PATH               Traefik's static configuration (traefik.yml or .toml), the same
                                  file the controller reads: entry points (address,
                                  forwardedHeaders, http2), accessLog, lifeCycle.graceTimeOut;
                                  flags given as well win
  --entrypoint NAME=[HOST]:PORT   listen address of an entrypoint, repeatable (default web=:80 and
                                  websecure=:443; every entrypoint serves TLS and plain HTTP);
                                  port 0 picks a free port, printed at start
  --entrypoint NAME=[HOST]:PORT/udp
                                  a UDP entrypoint, for udp.routers
  --proxy-protocol NAME=CIDR,...  peers that may open connections on entrypoint NAME with a
                                  PROXY protocol v1/v2 header (its client address is then the
                                  client's); anyone else sending one is refused; repeatable
  --control-socket PATH           unix socket the controller connects to, mode 0660
                                  (default /run/wharf/control.sock)
  --state-dir DIR                 where the last applied table is kept and served from at start
  --threads N                     worker threads (default: one per core)
  --trusted-proxies CIDR,...      peers whose X-Forwarded-* and X-Real-IP headers are believed
  --drain-timeout SECONDS         on SIGTERM, how long in-flight requests may take (default 30)
  --http2-disable NAME            serve only HTTP/1.1 on this entrypoint, repeatable (default:
                                  HTTP/2 everywhere: ALPN h2 over TLS, prior knowledge in clear)
  --http2-max-streams N           concurrent streams an HTTP/2 client may open on one connection
                                  (default 128)
  --admin-address [HOST]:PORT     /metrics, /healthz, /readyz, the read-only /api and the
                                  dashboard (default :8082; "off" disables it)
  --metrics-buckets S,...         request duration histogram buckets in seconds
                                  (default 0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10)
  --access-log PATH|stdout|off    one line per request (default off); reopened on SIGHUP
  --access-log-format common|json Traefik's common log format (default) or one JSON object
  --access-log-redact NAME,...    more query parameters whose values are never logged (always:
                                  api_key, apikey, token, access_token, X-Emby-Token,
                                  X-MediaBrowser-Token, signature, key)
  --access-log-queue LINES        lines waiting for the log writer before new ones are dropped
                                  (and counted) rather than slow requests down (default 16384)
  --help, --version

       wharf-dataplane healthcheck [--admin-address [HOST]:PORT]
asks a running data plane's /readyz (default address: WHARF_ADMIN_ADDRESS, else :8082) and
exits 0 when it is ready: the container image's HEALTHCHECK.
)";
}

Result<Options> parse_options(int argc, const char* const* argv, char** envp) {
  auto flags = cli::collect_flags(argc, argv, envp,
                                  {{"--configfile"},
                                   {"--configFile"},
                                   {"--entrypoint", true, true},
                                   {"--proxy-protocol", true, true},
                                   {"--control-socket"},
                                   {"--state-dir"},
                                   {"--threads"},
                                   {"--trusted-proxies"},
                                   {"--drain-timeout"},
                                   {"--http2-disable", true, true},
                                   {"--http2-max-streams"},
                                   {"--admin-address"},
                                   {"--metrics-buckets"},
                                   {"--access-log"},
                                   {"--access-log-format"},
                                   {"--access-log-redact"},
                                   {"--access-log-queue"}});
  if (!flags) return Error{flags.error()};
  const cli::Flags& from_args = *flags;
  if (from_args.count("--help") || from_args.count("--version")) {
    Options o;
    o.show_help = from_args.count("--help") > 0;
    o.show_version = !o.show_help;
    return o;
  }

  Options o;
  std::size_t from_file = 0;  // Entry points before this index came from --configfile.
  for (const char* flag : {"--configfile", "--configFile"}) {
    auto it = from_args.find(flag);
    if (it == from_args.end()) continue;
    auto sc = config::load_static_config(it->second.back());
    if (!sc) return Error{"--configfile: " + sc.error()};
    take_static(*sc, o);
    from_file = o.entrypoints.size();
  }
  for (const auto& [name, vals] : from_args) {
    const std::string& v = vals.back();
    if (name == "--entrypoint") {
      for (const auto& each : vals) {
        auto ep = parse_entrypoint(each);
        if (!ep) return Error{ep.error()};
        bool replaced = false;
        for (std::size_t i = 0; i < o.entrypoints.size(); ++i) {
          if (o.entrypoints[i].name != ep->name) continue;
          if (i >= from_file) return Error{"entrypoint '" + ep->name + "' given twice"};
          // A flag wins over the file: its address, the file's other settings.
          o.entrypoints[i].host = ep->host;
          o.entrypoints[i].port = ep->port;
          o.entrypoints[i].udp = ep->udp;
          replaced = true;
        }
        if (!replaced) o.entrypoints.push_back(*ep);
      }
    } else if (name == "--control-socket") {
      o.control_socket = v;
    } else if (name == "--state-dir") {
      o.state_dir = v;
    } else if (name == "--threads") {
      if (!parse_number(v, o.threads) || o.threads == 0 || o.threads > 1024) {
        return Error{"--threads '" + v + "': expected a number from 1 to 1024"};
      }
    } else if (name == "--trusted-proxies") {
      auto list = model::parse_cidr_list(v);
      if (!list) return Error{"--trusted-proxies: " + list.error()};
      o.trusted_proxies = *list;
    } else if (name == "--drain-timeout") {
      unsigned s = 0;
      if (!parse_number(v, s) || s > 86400) {
        return Error{"--drain-timeout '" + v + "': expected seconds from 0 to 86400"};
      }
      o.drain_timeout_ms = s * 1000;
    } else if (name == "--http2-disable") {
      for (const auto& each : vals) {
        for (auto& n : text::split_list(each)) o.http2_disabled.push_back(std::move(n));
      }
    } else if (name == "--http2-max-streams") {
      if (!parse_number(v, o.http2_max_streams) || o.http2_max_streams == 0 ||
          o.http2_max_streams > 100'000) {
        return Error{"--http2-max-streams '" + v + "': expected a number from 1 to 100000"};
      }
    } else if (name == "--admin-address") {
      if (v == "off") {
        o.admin_enabled = false;
      } else {
        auto a = parse_entrypoint("admin=" + v);
        if (!a) return Error{"--admin-address '" + v + "': expected [HOST]:PORT or off"};
        o.admin = *a;
      }
    } else if (name == "--metrics-buckets") {
      auto b = parse_buckets(v);
      if (!b) return Error{b.error()};
      o.metrics_buckets = std::move(*b);
    } else if (name == "--access-log") {
      if (v.empty()) return Error{"--access-log: expected a path, stdout or off"};
      o.access_log = v;
    } else if (name == "--access-log-format") {
      if (v != "json" && v != "common") {
        return Error{"--access-log-format '" + v + "': expected common or json"};
      }
      o.access_log_json = v == "json";
    } else if (name == "--access-log-queue") {
      if (!parse_number(v, o.access_log_queue) || o.access_log_queue == 0 ||
          o.access_log_queue > 10'000'000) {
        return Error{"--access-log-queue '" + v + "': expected a number from 1 to 10000000"};
      }
    } else if (name == "--access-log-redact") {
      for (auto& n : text::split_list(v)) o.redact.push_back(std::move(n));
    }
  }
  if (o.entrypoints.empty()) {
    // Both serve plain HTTP and TLS (detected per connection); the names say what clients use.
    o.entrypoints.push_back({.name = "web", .host = "", .port = 80});
    o.entrypoints.push_back({.name = "websecure", .host = "", .port = 443});
  }
  if (auto pp = from_args.find("--proxy-protocol"); pp != from_args.end()) {
    for (const auto& each : pp->second) {
      const auto eq = each.find('=');
      EntryPointAddress* ep = nullptr;
      for (auto& e : o.entrypoints) {
        if (eq != std::string::npos && e.name == each.substr(0, eq)) ep = &e;
      }
      if (!ep) {
        return Error{"--proxy-protocol '" + each +
                     "': expected NAME=CIDR,... naming an entrypoint"};
      }
      auto list = model::parse_cidr_list(each.substr(eq + 1));
      if (!list) return Error{"--proxy-protocol '" + each + "': " + list.error()};
      ep->proxy_protocol = std::move(*list);
    }
  }
  for (const auto& n : o.http2_disabled) {
    bool known = false;
    for (const auto& ep : o.entrypoints) known = known || ep.name == n;
    if (!known) return Error{"--http2-disable '" + n + "': no entrypoint has that name"};
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

}  // namespace wharf::dataplane
