#pragma once

// The static configuration reader's view of one mapping of the file (static_config.cpp):
// keys matched without case as Traefik does, values read with messages that name the file,
// line and key, and every key nobody asked for reported when the section is done with.

#include <cctype>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/document.hpp"
#include "text/ascii.hpp"
#include "text/duration.hpp"

namespace wharf::config::detail {

using text::lower;

// Where the messages go: warnings kept, errors stopping the start.
struct Context {
  const Where& where;
  std::vector<std::string>& warnings;
  std::vector<std::string> errors;
};

// One mapping of the file, read key by key. Keys are matched without case, as Traefik does; a
// key nobody asked for is reported as unknown when the section is done with.
class Section {
 public:
  Section(YAML::Node node, std::string path, Context& ctx)
      : node_(std::move(node)), path_(std::move(path)), ctx_(ctx) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
      error(node_, "expected a mapping");
      node_ = YAML::Node();
    }
  }
  Section(const Section&) = delete;
  ~Section() {
    if (!node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      const std::string key = lower(kv.first.Scalar());
      if (!used_.count(key)) {
        warn(kv.first, full(kv.first.Scalar()) + ": not a Traefik option Wharf knows; ignored");
      }
    }
  }

  bool present() const { return node_ && node_.IsMap(); }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  std::string full(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  YAML::Node take(std::string_view key) {
    used_.insert(std::string(key));
    if (!present()) return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& kv : node_) {
      if (lower(kv.first.Scalar()) == key) return kv.second;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
  // The key itself (its line is the one to name for the whole value).
  YAML::Node key_node(std::string_view key) const {
    if (!present()) return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& kv : node_) {
      if (lower(kv.first.Scalar()) == key) return kv.first;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
  Section sub(std::string_view key, const std::string& shown) {
    return Section(take(key), full(shown), ctx_);
  }
  // Every key of the mapping, as written (entry point and resolver names).
  std::vector<std::pair<std::string, YAML::Node>> entries() {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (!present()) return out;
    for (const auto& kv : node_) {
      used_.insert(lower(kv.first.Scalar()));
      out.emplace_back(kv.first.Scalar(), kv.second);
    }
    return out;
  }
  // A key Traefik has and Wharf does not take: a warning saying what Wharf does instead.
  void ignore(std::string_view key, const std::string& shown, const std::string& why) {
    if (take(key)) warn(key_node(key), full(shown) + ": ignored" + (why.empty() ? "" : ": " + why));
  }

  bool string(std::string_view key, const std::string& shown, std::string& out) {
    auto n = take(key);
    if (!n || n.IsNull()) return false;
    if (!n.IsScalar()) return error(n, full(shown) + ": expected a value");
    out = n.Scalar();
    return true;
  }
  bool boolean(std::string_view key, const std::string& shown, bool& out) {
    std::string s;
    if (!string(key, shown, s)) return false;
    s = lower(s);
    if (s != "true" && s != "false") {
      return error(take(key), full(shown) + ": expected true or false, not '" + s + "'");
    }
    out = s == "true";
    return true;
  }
  // A list of strings; a scalar is split on commas, as Traefik reads a list given as one value.
  bool list(std::string_view key, const std::string& shown, std::vector<std::string>& out) {
    auto n = take(key);
    if (!n || n.IsNull()) return false;
    out.clear();
    if (n.IsScalar()) {
      std::string item;
      std::istringstream in(n.Scalar());
      while (std::getline(in, item, ',')) {
        auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
      }
      return true;
    }
    if (!n.IsSequence()) return error(n, full(shown) + ": expected a list");
    for (const auto& item : n) {
      if (!item.IsScalar()) return error(item, full(shown) + ": expected a list of values");
      out.push_back(item.Scalar());
    }
    return true;
  }
  bool duration(std::string_view key, const std::string& shown, std::optional<std::uint32_t>& out) {
    std::string s;
    if (!string(key, shown, s)) return false;
    auto ms = text::parse_duration_ms(s);
    if (!ms || *ms > 0xFFFF'FFFFull) {
      return error(take(key), full(shown) +
                                  ": expected a duration such as 60s, 1m30s or 500ms, "
                                  "not '" +
                                  s + "'");
    }
    out = static_cast<std::uint32_t>(*ms);
    return true;
  }

  bool error(const YAML::Node& n, const std::string& what) {
    ctx_.errors.push_back(ctx_.where.at(n, what));
    return false;
  }
  void warn(const YAML::Node& n, const std::string& what) {
    ctx_.warnings.push_back(ctx_.where.at(n, what));
  }
  Context& ctx() { return ctx_; }

 private:
  YAML::Node node_;
  std::string path_;
  Context& ctx_;
  std::set<std::string> used_;
};

}  // namespace wharf::config::detail
