#pragma once

// What the translation-table tests (ingress-nginx, Gateway API) share: reading their JSON case
// files, writing JSON values back as text, and request headers for the data plane's matcher.

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "model/provider_config.hpp"
#include "rules/ast.hpp"

namespace wharf::test {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string dump(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return b.GetString();
}

// A table's cases: the JSON array in `path`, parsed once per process (the tests of a table
// run in one process and read the same file).
inline const rapidjson::Document& json_cases(const std::string& path) {
  static std::map<std::string, std::pair<std::string, rapidjson::Document>> parsed;
  auto [it, fresh] = parsed.try_emplace(path);
  if (fresh) {
    it->second.first = read_text(path);
    it->second.second.Parse(it->second.first.c_str());
    EXPECT_FALSE(it->second.second.HasParseError())
        << path << ": offset " << it->second.second.GetErrorOffset();
  }
  return it->second.second;
}

// A JSON string as itself, anything else as its JSON text.
inline std::string text_of(const rapidjson::Value& v) {
  return v.IsString() ? v.GetString() : dump(v);
}

// `want` maps middleware names to {"type": ..., "options": {...}}: each exists with exactly
// that type and those options.
inline void expect_middlewares(const std::vector<model::ConfigMiddleware>& made,
                               const rapidjson::Value& want) {
  std::map<std::string, const model::ConfigMiddleware*> by_name;
  for (const auto& m : made) by_name[m.name] = &m;
  for (const auto& m : want.GetObject()) {
    const std::string name = m.name.GetString();
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      ADD_FAILURE() << "no middleware " << name;
      continue;
    }
    EXPECT_EQ(it->second->type, m.value["type"].GetString()) << name;
    std::map<std::string, std::string> options,
        got(it->second->options.begin(), it->second->options.end());
    for (const auto& o : m.value["options"].GetObject()) {
      options[o.name.GetString()] = text_of(o.value);
    }
    EXPECT_EQ(got, options) << name;
  }
}

// Request headers for the matcher, case-insensitive by name.
class MatcherHeaders : public rules::HeaderLookup {
 public:
  void set(std::string name, std::string value) {
    values_[lower(std::move(name))] = std::move(value);
  }
  bool any_value(std::string_view name,
                 model::FunctionRef<bool(std::string_view)> pred) const override {
    auto it = values_.find(lower(std::string(name)));
    return it != values_.end() && pred(it->second);
  }

 private:
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  std::map<std::string, std::string> values_;
};

}  // namespace wharf::test
