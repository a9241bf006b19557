#include "controller/provider/router_options.hpp"

#include "controller/docker/labels.hpp"
#include "rules/parser.hpp"
#include "text/integer.hpp"
#include "text/split_list.hpp"

namespace wharf::controller {
namespace {

std::string boolean(std::string_view value, bool& out) {
  auto b = docker::parse_bool(value);
  if (!b) return b.error();
  out = *b;
  return {};
}

// tls.domains[N].main and .sans. The main name is first in its set; sans that come before it
// keep its place with an empty name, which router_options_problems reports if it stays so.
std::string domain_option(model::ConfigRouter& r, std::string_view key, std::string_view value) {
  std::size_t n = 0;
  const auto close = key.find(']');
  const bool ok = close != std::string_view::npos &&
                  text::parse_integer(key.substr(12, close - 12), n) && n < 100;
  const std::string_view field = ok ? key.substr(close + 1) : "";
  if (field != ".main" && field != ".sans") {
    return "expected tls.domains[N].main or tls.domains[N].sans";
  }
  if (r.cert_domains.size() <= n) r.cert_domains.resize(n + 1);
  auto& d = r.cert_domains[n];
  if (field == ".main") {
    if (!d.empty() && d.front().empty()) {
      d.front() = std::string(value);
    } else {
      d.insert(d.begin(), std::string(value));
    }
    return {};
  }
  if (d.empty()) d.emplace_back();  // The main name's place.
  for (auto& san : text::split_list(value)) d.push_back(std::move(san));
  return {};
}

}  // namespace

std::optional<std::string> router_option(model::ConfigRouter& r, std::string_view key,
                                         std::string_view value, RouterKind kind) {
  const std::string v(value);
  const bool tcp = kind == RouterKind::kTcp;
  if (key == "rule") {
    r.rule = v;
    auto parsed = tcp ? rules::parse_tcp(r.rule) : rules::parse(r.rule);
    if (!parsed) return parsed.error();
  } else if (tcp && key == "tls.passthrough") {
    r.tls = true;
    return boolean(value, r.passthrough);
  } else if (key == "entrypoints") {
    r.entrypoints = text::split_list(value);
  } else if (key == "middlewares") {
    r.middlewares = text::split_list(value);
  } else if (key == "service") {
    r.service = v;
  } else if (key == "priority") {
    if (!text::parse_integer(value, r.priority)) return "expected an integer";
  } else if (key == "tls") {
    return boolean(value, r.tls);
  } else if (key == "tls.certresolver") {
    r.cert_resolver = v;
    r.tls = true;
  } else if (key == "tls.options") {
    r.tls_options = v;
    r.tls = true;
  } else if (key.starts_with("tls.domains[")) {
    r.tls = true;
    return domain_option(r, key, value);
  } else if (key == "tls.domains") {
    r.tls = true;
    for (auto& name : text::split_list(value)) r.cert_domains.push_back({std::move(name)});
  } else if (key == "rulesyntax") {
    if (v != "v3") return "only the v3 rule syntax is supported";
  } else if (tcp && key.starts_with("observability.")) {
    return std::nullopt;
  } else if (key == "observability.accesslogs" || key == "observability.metrics" ||
             key == "observability.tracing") {
    bool ignored = false;
    return boolean(value, ignored);
  } else if (key == "observability.traceverbosity") {
    if (v != "minimal" && v != "detailed") return "expected minimal or detailed";
  } else {
    return std::nullopt;
  }
  return std::string();
}

std::vector<std::string> router_options_problems(const model::ConfigRouter& r) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < r.cert_domains.size(); ++i) {
    if (!r.cert_domains[i].empty() && r.cert_domains[i].front().empty()) {
      out.push_back("tls.domains[" + std::to_string(i) + "] has sans but no main");
    }
  }
  return out;
}

}  // namespace wharf::controller
