#include "cli/flags.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace wharf::cli {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string env_name(std::string_view flag) {
  std::string out = "WHARF_";
  for (char c : flag.substr(2)) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

model::Result<Flags> collect_flags(int argc, const char* const* argv, char** envp,
                                   const std::vector<FlagSpec>& specs) {
  Flags out;
  auto spec_of = [&](std::string_view name) -> const FlagSpec* {
    for (const auto& s : specs) {
      if (name == s.name ||
          (s.prefix && name.size() > std::strlen(s.name) && lower(name).starts_with(s.name))) {
        return &s;
      }
    }
    return nullptr;
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h" || a == "--version") {
      out[a == "-h" ? "--help" : std::string(a)].push_back("true");
      continue;
    }
    std::string name(a), value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string_view::npos && a.starts_with("--")) {
      name = std::string(a.substr(0, eq));
      value = std::string(a.substr(eq + 1));
      has_value = true;
    }
    const FlagSpec* spec = spec_of(name);
    if (!spec) return model::Error{"unknown flag '" + name + "' (see --help)"};
    if (spec->prefix) {
      out[lower(name)].push_back(has_value ? value : "true");
      continue;
    }
    if (!spec->takes_value) {
      out[name].push_back(has_value ? value : "true");
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) return model::Error{"flag " + name + " needs a value"};
      value = argv[++i];
    }
    out[name].push_back(value);
  }
  for (const auto& s : specs) {
    if (s.prefix) {
      // WHARF_CERTIFICATESRESOLVERS_LE_ACME_HTTPCHALLENGE_ENTRYPOINT=web →
      // --certificatesresolvers.le.acme.httpchallenge.entrypoint
      const std::string family = std::string(s.name);
      const std::string env = env_name(family.substr(0, family.size() - 1)) + "_";
      for (char** e = envp; e && *e; ++e) {
        std::string_view var = *e;
        if (!var.starts_with(env)) continue;
        auto eq = var.find('=');
        if (eq == std::string_view::npos) continue;
        std::string rest = lower(var.substr(env.size(), eq - env.size()));
        std::replace(rest.begin(), rest.end(), '_', '.');
        std::string name = family + rest;
        if (!out.count(name)) out[name].emplace_back(var.substr(eq + 1));
      }
      continue;
    }
    if (out.count(s.name)) continue;
    std::string env = env_name(s.name) + "=";
    for (char** e = envp; e && *e; ++e) {
      if (std::strncmp(*e, env.c_str(), env.size()) != 0) continue;
      std::string_view v = *e + env.size();
      if (!s.repeatable) {
        out[s.name].emplace_back(v);
        continue;
      }
      while (!v.empty()) {
        auto comma = v.find(',');
        out[s.name].emplace_back(v.substr(0, comma));
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    }
  }
  return out;
}

}  // namespace wharf::cli
