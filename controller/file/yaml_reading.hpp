#pragma once

// The small YAML readers the file provider's sections share. Scalars convert without
// exceptions: yaml-cpp's as<T>() throws on a mismatch, and a typo in a user's file is input,
// not a bug.

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/document.hpp"
#include "model/provider_config.hpp"
#include "text/ascii.hpp"

namespace wharf::controller::file {

using text::lower;

using config::Where;

inline bool scalar(const YAML::Node& n, std::string& out) {
  if (!n.IsScalar()) return false;
  out = n.Scalar();
  return true;
}

inline bool boolean(const YAML::Node& n, bool& out) {
  std::string s;
  if (!scalar(n, s)) return false;
  s = lower(s);
  if (s == "true")
    out = true;
  else if (s == "false")
    out = false;
  else
    return false;
  return true;
}

inline bool integer(const YAML::Node& n, std::int64_t& out) {
  std::string s;
  if (!scalar(n, s) || s.empty()) return false;
  std::size_t used = 0;
  try {
    out = std::stoll(s, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == s.size();
}

inline bool string_list(const YAML::Node& n, std::vector<std::string>& out) {
  if (!n.IsSequence()) return false;
  for (const auto& item : n) {
    std::string s;
    if (!scalar(item, s)) return false;
    out.push_back(s);
  }
  return true;
}

// Flattens a middleware's options to lower-cased dotted paths; lists become comma-separated
// values, the form labels use.
inline void flatten(const YAML::Node& n, const std::string& path,
                    std::vector<std::pair<std::string, std::string>>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n)
      flatten(kv.second,
              path.empty() ? lower(kv.first.Scalar()) : path + "." + lower(kv.first.Scalar()), out);
  } else if (n.IsSequence()) {
    std::string joined;
    bool scalars = true;
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (n[i].IsScalar()) {
        joined += (joined.empty() ? "" : ",") + n[i].Scalar();
      } else {
        scalars = false;
        flatten(n[i], path + "[" + std::to_string(i) + "]", out);
      }
    }
    if (scalars) out.emplace_back(path, joined);
  } else if (n.IsScalar()) {
    out.emplace_back(path, n.Scalar());
  }
}

template <typename Fn>
void each_named(const YAML::Node& section, const std::string& what, const Where& w,
                model::ProviderConfig& out, Fn fn) {
  if (!section) return;
  if (!section.IsMap()) {
    out.diagnostics.push_back(
        {"file", what, w.at(section, what + ": expected a mapping of names")});
    return;
  }
  for (const auto& kv : section) fn(kv.first, kv.second);
}

inline YAML::Node child(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : map) {
    if (lower(kv.first.Scalar()) == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

}  // namespace wharf::controller::file
