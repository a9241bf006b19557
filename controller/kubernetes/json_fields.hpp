#pragma once

// Reading fields of the API's JSON objects (RapidJSON values) the way every decoder here does:
// a missing or mistyped field reads as empty, so a decoder never throws on odd input and the
// translators see plain values.

#include <cstdint>
#include <map>
#include <string>

#include <rapidjson/document.h>

#include "controller/kubernetes/objects.hpp"

namespace wharf::controller::kubernetes::json {

using rapidjson::Value;

inline const Value* member(const Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

inline std::string str(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

inline std::int32_t int32(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  return v && v->IsInt() ? v->GetInt() : 0;
}

inline bool boolean(const Value& obj, const char* key, bool fallback) {
  const Value* v = member(obj, key);
  return v && v->IsBool() ? v->GetBool() : fallback;
}

template <typename Fn>
inline void each(const Value* array, Fn fn) {
  if (!array || !array->IsArray()) return;
  for (const auto& v : array->GetArray()) fn(v);
}

inline std::map<std::string, std::string> string_map(const Value* obj) {
  std::map<std::string, std::string> out;
  if (!obj || !obj->IsObject()) return out;
  for (const auto& m : obj->GetObject()) {
    if (m.value.IsString()) out.emplace(m.name.GetString(), m.value.GetString());
  }
  return out;
}

inline ObjectMeta meta_of(const Value& obj) {
  ObjectMeta m;
  const Value* md = member(obj, "metadata");
  if (!md) return m;
  m.name = str(*md, "name");
  m.ns = str(*md, "namespace");
  m.uid = str(*md, "uid");
  m.resource_version = str(*md, "resourceVersion");
  m.creation_timestamp = str(*md, "creationTimestamp");
  if (const Value* g = member(*md, "generation"); g && g->IsInt64()) m.generation = g->GetInt64();
  m.labels = string_map(member(*md, "labels"));
  m.annotations = string_map(member(*md, "annotations"));
  return m;
}

}  // namespace wharf::controller::kubernetes::json
