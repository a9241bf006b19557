#include "cli/flags.hpp"

#include <cctype>
#include <cstring>

namespace wharf::cli {

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
      if (name == s.name) return &s;
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
