#include "test_common/traefik_corpus.hpp"

#include <cctype>
#include <set>
#include <sstream>

namespace wharf::test {

std::string interpolate(const std::string& s, const std::map<std::string, std::string>& env) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    if (s[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name, fallback;
    std::size_t end = i + 1;
    if (s[end] == '{') {
      auto close = s.find('}', end);
      std::string inner = s.substr(end + 1, close - end - 1);
      auto dash = inner.find(":-");
      name = inner.substr(0, dash);
      if (dash != std::string::npos) fallback = inner.substr(dash + 2);
      end = close + 1;
    } else {
      while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_'))
        ++end;
      name = s.substr(i + 1, end - i - 1);
    }
    if (name.empty()) {
      out += '$';
      continue;
    }
    auto it = env.find(name);
    out += it != env.end() ? it->second : fallback;
    i = end - 1;
  }
  return out;
}

std::string static_file(const YAML::Node& x, const std::map<std::string, std::string>& addresses,
                        const std::string& docker_endpoint) {
  std::ostringstream y;
  y << "api:\n  dashboard: true\nping: {}\nentryPoints:\n";
  std::set<std::string> tls;
  for (const auto& e : x["entrypoint_tls"]) tls.insert(e.as<std::string>());
  int port = 8000;
  for (const auto& e : x["entrypoints"]) {
    const auto name = e.as<std::string>();
    auto given = addresses.find(name);
    y << "  " << name << ":\n    address: \""
      << (given != addresses.end() ? given->second : ":" + std::to_string(port)) << "\"\n";
    ++port;
    const auto mws = x["entrypoint_middlewares"] ? x["entrypoint_middlewares"][name] : YAML::Node();
    if (!tls.count(name) && !mws) continue;
    y << "    http:\n";
    if (mws) {
      y << "      middlewares:\n";
      for (const auto& m : mws) y << "        - \"" << m.as<std::string>() << "\"\n";
    }
    if (!tls.count(name)) continue;
    y << "      tls:\n";
    if (x["entrypoint_resolver"]) {
      y << "        certResolver: " << x["entrypoint_resolver"].as<std::string>() << "\n";
    }
    if (x["tls_options_at_entrypoint"]) {
      y << "        options: " << x["tls_options_at_entrypoint"].as<std::string>() << "\n";
    }
    if (x["entrypoint_wildcard"] && x["entrypoint_wildcard"].as<bool>()) {
      y << "        domains:\n          - main: example.com\n            sans: "
           "[\"*.example.com\"]\n";
    }
  }
  y << "providers:\n  docker:\n    exposedByDefault: false\n";
  if (!docker_endpoint.empty()) y << "    endpoint: \"" << docker_endpoint << "\"\n";
  if (x["default_rule"]) {
    y << "    defaultRule: '" << x["default_rule"].as<std::string>() << "'\n";
  }
  if (x["insecure_skip_verify"] && x["insecure_skip_verify"].as<bool>()) {
    y << "serversTransport:\n  insecureSkipVerify: true\n";
  }
  return y.str();
}

}  // namespace wharf::test
