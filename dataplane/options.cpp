#include "dataplane/options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <map>
#include <thread>

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
    return Error{"--entrypoint '" + std::string(v) + "': " + why + " (expected NAME=[HOST]:PORT)"};
  };
  if (eq == std::string_view::npos || eq == 0) return bad("missing NAME=");
  EntryPointAddress ep;
  ep.name = std::string(v.substr(0, eq));
  auto addr = v.substr(eq + 1);
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

// Flag name → environment variable, e.g. --state-dir → WHARF_STATE_DIR.
std::string env_name(std::string_view flag) {
  std::string out = "WHARF_";
  for (char c : flag.substr(2)) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

}  // namespace

const char* options_help() {
  return R"(Usage: wharf-dataplane [flags]

Serves HTTP traffic from the routing table pushed by wharf-controller over the control socket.
Every flag can also be set with an environment variable, e.g. --state-dir → WHARF_STATE_DIR.

  --entrypoint NAME=[HOST]:PORT   listen address of an entrypoint, repeatable (default web=:80);
                                  port 0 picks a free port, printed at start
  --control-socket PATH           unix socket the controller connects to, mode 0660
                                  (default /run/wharf/control.sock)
  --state-dir DIR                 where the last applied table is kept and served from at start
  --threads N                     worker threads (default: one per core)
  --trusted-proxies CIDR,...      peers whose X-Forwarded-* and X-Real-IP headers are believed
  --drain-timeout SECONDS         on SIGTERM, how long in-flight requests may take (default 30)
  --help, --version
)";
}

Result<Options> parse_options(int argc, const char* const* argv, char** envp) {
  // Flags given on the command line win over the environment.
  static const char* kFlags[] = {"--entrypoint", "--control-socket",  "--state-dir",
                                 "--threads",    "--trusted-proxies", "--drain-timeout"};
  std::map<std::string, std::vector<std::string>> from_args;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      Options o;
      o.show_help = true;
      return o;
    }
    if (a == "--version") {
      Options o;
      o.show_version = true;
      return o;
    }
    std::string name(a), value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string_view::npos && a.starts_with("--")) {
      name = std::string(a.substr(0, eq));
      value = std::string(a.substr(eq + 1));
      has_value = true;
    }
    bool known = false;
    for (const char* f : kFlags) known = known || name == f;
    if (!known) return Error{"unknown flag '" + name + "' (see --help)"};
    if (!has_value) {
      if (i + 1 >= argc) return Error{"flag " + name + " needs a value"};
      value = argv[++i];
    }
    from_args[name].push_back(value);
  }
  for (const char* f : kFlags) {
    if (from_args.count(f)) continue;
    std::string env = env_name(f) + "=";
    for (char** e = envp; e && *e; ++e) {
      if (std::strncmp(*e, env.c_str(), env.size()) == 0) {
        // Repeatable flags take a comma-separated list from the environment.
        std::string_view v = *e + env.size();
        if (std::string_view(f) == "--entrypoint") {
          while (!v.empty()) {
            auto comma = v.find(',');
            from_args[f].emplace_back(v.substr(0, comma));
            if (comma == std::string_view::npos) break;
            v.remove_prefix(comma + 1);
          }
        } else {
          from_args[f].emplace_back(v);
        }
      }
    }
  }

  Options o;
  for (const auto& [name, vals] : from_args) {
    const std::string& v = vals.back();
    if (name == "--entrypoint") {
      for (const auto& each : vals) {
        auto ep = parse_entrypoint(each);
        if (!ep) return Error{ep.error()};
        for (const auto& existing : o.entrypoints) {
          if (existing.name == ep->name) return Error{"entrypoint '" + ep->name + "' given twice"};
        }
        o.entrypoints.push_back(*ep);
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
    }
  }
  if (o.entrypoints.empty()) o.entrypoints.push_back({"web", "", 80});
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

}  // namespace wharf::dataplane
