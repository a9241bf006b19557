#include "ipc/messages.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "ipc/table_schema.hpp"

namespace wharf::ipc {
namespace {

using model::Error;
using model::Result;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Value = rapidjson::Value;

// ---- encoding ----

void put(Writer& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Writes what table_schema.hpp declares.
class Encoder {
 public:
  explicit Encoder(Writer& w) : w_(w) {}

  template <typename T>
  void field(const char* key, const T& value, schema::Use use) {
    if (use == schema::kNonEmpty && empty(value)) return;
    w_.Key(key);
    write(value);
  }
  template <typename T>
  void object(const char* key, T& value, bool written = true) {
    if (!written) return;
    w_.Key(key);
    write_object(value);
  }
  template <typename T>
  void optional(const char* key, std::optional<T>& value, const char* inner = nullptr) {
    if (!value) return;
    w_.Key(key);
    if (inner) {
      w_.StartObject();
      w_.Key(inner);
    }
    write_object(*value);
    if (inner) w_.EndObject();
  }
  template <typename T>
  void list(const char* key, std::vector<T>& items, schema::Use use) {
    if (use == schema::kNonEmpty && items.empty()) return;
    w_.Key(key);
    w_.StartArray();
    for (auto& item : items) write_object(item);
    w_.EndArray();
  }

  template <typename T>
  void write_object(T& value) {
    w_.StartObject();
    schema::fields(*this, value);
    w_.EndObject();
  }

 private:
  static bool empty(const std::string& v) { return v.empty(); }
  static bool empty(bool v) { return !v; }
  template <typename T>
  static bool empty(const std::vector<T>& v) {
    return v.empty();
  }
  template <typename T>
  static bool empty(T v) {
    return v == 0;
  }

  void write(const std::string& v) {
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  void write(bool v) { w_.Bool(v); }
  void write(std::uint32_t v) { w_.Uint(v); }
  void write(std::uint64_t v) { w_.Uint64(v); }
  void write(std::int64_t v) { w_.Int64(v); }
  void write(const std::vector<std::string>& v) {
    w_.StartArray();
    for (const auto& s : v) write(s);
    w_.EndArray();
  }
  void write(const Pairs& pairs) {
    w_.StartObject();
    for (const auto& [k, v] : pairs) {
      w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      write(v);
    }
    w_.EndObject();
  }

  Writer& w_;
};

void write_table(Writer& w, const model::RoutingTable& t) {
  // The schema's declarations take the object non-const for the decoder's sake; the encoder
  // only reads it.
  Encoder(w).write_object(const_cast<model::RoutingTable&>(t));
}

// ---- decoding: every error names the JSON path of the offending field ----

class Reader {
 public:
  std::string error;

  bool object(const Value& v, const std::string& path) {
    if (v.IsObject()) return true;
    return fail(path, "expected an object");
  }

  bool string(const Value& obj, const char* key, const std::string& path, std::string& out,
              bool required) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return !required || fail(path + "." + key, "is required");
    if (!it->value.IsString()) return fail(path + "." + key, "expected a string");
    out.assign(it->value.GetString(), it->value.GetStringLength());
    return true;
  }

  template <typename T>
  bool number(const Value& obj, const char* key, const std::string& path, T& out) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return true;
    const Value& v = it->value;
    if constexpr (std::is_same_v<T, std::int64_t>) {
      if (v.IsInt64()) return out = v.GetInt64(), true;
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
      if (v.IsUint64()) return out = v.GetUint64(), true;
    } else {
      if (v.IsUint()) return out = v.GetUint(), true;
    }
    return fail(path + "." + key, "expected a non-negative integer in range");
  }

  bool fail(const std::string& path, const std::string& why) {
    error = path + ": " + why;
    return false;
  }
};

// Reads what table_schema.hpp declares from one JSON object; the first error stops it.
class Decoder {
 public:
  Decoder(Reader& r, const Value& obj, std::string path)
      : r_(r), obj_(obj), path_(std::move(path)) {}
  bool ok() const { return ok_; }

  template <typename T>
  void field(const char* key, T& out, schema::Use use) {
    if (!ok_) return;
    if constexpr (std::is_same_v<T, std::string>) {
      ok_ = r_.string(obj_, key, path_, out, use == schema::kRequired);
    } else if constexpr (std::is_same_v<T, bool>) {
      ok_ = boolean(key, out);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      ok_ = strings(key, out);
    } else if constexpr (std::is_same_v<T, Pairs>) {
      ok_ = pairs(key, out);
    } else {
      ok_ = r_.number(obj_, key, path_, out);
    }
  }
  template <typename T>
  void object(const char* key, T& out, bool = true) {
    if (!ok_) return;
    const Value* v = member(key);
    if (v) ok_ = read(*v, path_ + "." + key, out);
  }
  template <typename T>
  void optional(const char* key, std::optional<T>& out, const char* inner = nullptr) {
    if (!ok_) return;
    const Value* v = member(key);
    if (!v) return;
    std::string path = path_ + "." + key;
    if (inner) {
      if (!(ok_ = r_.object(*v, path))) return;
      auto it = v->FindMember(inner);
      if (it == v->MemberEnd()) return;
      v = &it->value;
      path += std::string(".") + inner;
    }
    ok_ = read(*v, path, out.emplace());
  }
  template <typename T>
  void list(const char* key, std::vector<T>& out, schema::Use) {
    if (!ok_) return;
    const Value* v = member(key);
    if (!v) return;
    if (!v->IsArray()) {
      ok_ = r_.fail(path_ + "." + key, "expected an array");
      return;
    }
    rapidjson::SizeType i = 0;
    for (const auto& e : v->GetArray()) {
      if (!(ok_ = read(e, path_ + "." + key + "[" + std::to_string(i++) + "]", out.emplace_back())))
        return;
    }
  }

  template <typename T>
  static bool read(Reader& r, const Value& v, const std::string& path, T& out) {
    if (!r.object(v, path)) return false;
    Decoder d(r, v, path);
    schema::fields(d, out);
    return d.ok();
  }

 private:
  template <typename T>
  bool read(const Value& v, const std::string& path, T& out) {
    return read(r_, v, path, out);
  }
  const Value* member(const char* key) const {
    auto it = obj_.FindMember(key);
    return it == obj_.MemberEnd() ? nullptr : &it->value;
  }
  bool boolean(const char* key, bool& out) {
    const Value* v = member(key);
    if (!v) return true;
    if (!v->IsBool()) return r_.fail(path_ + "." + key, "expected true or false");
    out = v->GetBool();
    return true;
  }
  bool strings(const char* key, std::vector<std::string>& out) {
    const Value* v = member(key);
    if (!v) return true;
    if (!v->IsArray()) return r_.fail(path_ + "." + key, "expected an array of strings");
    for (const auto& s : v->GetArray()) {
      if (!s.IsString()) return r_.fail(path_ + "." + key, "expected an array of strings");
      out.emplace_back(s.GetString(), s.GetStringLength());
    }
    return true;
  }
  // An object of string values, in order.
  bool pairs(const char* key, Pairs& out) {
    const Value* v = member(key);
    if (!v) return true;
    if (!v->IsObject()) return r_.fail(path_ + "." + key, "expected an object of strings");
    for (auto m = v->MemberBegin(); m != v->MemberEnd(); ++m) {
      if (!m->value.IsString()) {
        return r_.fail(path_ + "." + key + "." + m->name.GetString(), "expected a string");
      }
      out.emplace_back(std::string(m->name.GetString(), m->name.GetStringLength()),
                       std::string(m->value.GetString(), m->value.GetStringLength()));
    }
    return true;
  }

  Reader& r_;
  const Value& obj_;
  std::string path_;
  bool ok_ = true;
};

bool read_table(Reader& r, const Value& v, const std::string& path, model::RoutingTable& t) {
  return Decoder::read(r, v, path, t);
}

Result<rapidjson::Document> parse_json(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return Error{"invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                 rapidjson::GetParseError_En(doc.GetParseError())};
  }
  return doc;
}

}  // namespace

std::string encode(const Message& message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  if (const auto* a = std::get_if<Apply>(&message)) {
    put(w, "type", "apply");
    w.Key("version");
    w.Uint64(a->version);
    w.Key("table");
    write_table(w, a->table);
  } else if (const auto* k = std::get_if<Ack>(&message)) {
    put(w, "type", "ack");
    w.Key("version");
    w.Uint64(k->version);
  } else {
    const auto& n = std::get<Nack>(message);
    put(w, "type", "nack");
    w.Key("version");
    w.Uint64(n.version);
    put(w, "reason", n.reason);
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

Result<Message> decode(std::string_view json) {
  auto doc = parse_json(json);
  if (!doc) return Error{doc.error()};
  Reader r;
  std::string type;
  std::uint64_t version = 0;
  if (!r.object(*doc, "$") || !r.string(*doc, "type", "$", type, true) ||
      !r.number(*doc, "version", "$", version)) {
    return Error{r.error};
  }
  if (type == "ack") return Message{Ack{version}};
  if (type == "nack") {
    Nack n{version, {}};
    if (!r.string(*doc, "reason", "$", n.reason, false)) return Error{r.error};
    return Message{std::move(n)};
  }
  if (type == "apply") {
    Apply a{version, {}};
    const Value& root = *doc;  // Const iterators: clang rejects RapidJSON's mixed == in C++20.
    auto it = root.FindMember("table");
    if (it == root.MemberEnd()) return Error{"$.table: is required"};
    if (!read_table(r, it->value, "$.table", a.table)) return Error{r.error};
    a.table.version = version;
    return Message{std::move(a)};
  }
  return Error{"$.type: unknown message type '" + type + "' (expected apply, ack or nack)"};
}

std::string encode_table(const model::RoutingTable& table) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  write_table(w, table);
  return {buf.GetString(), buf.GetSize()};
}

Result<model::RoutingTable> decode_table(std::string_view json) {
  auto doc = parse_json(json);
  if (!doc) return Error{doc.error()};
  Reader r;
  model::RoutingTable t;
  if (!read_table(r, *doc, "$", t)) return Error{r.error};
  return t;
}

}  // namespace wharf::ipc
