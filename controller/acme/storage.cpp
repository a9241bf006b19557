#include "controller/acme/storage.hpp"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "files/private_file.hpp"
#include "text/base64.hpp"

namespace wharf::controller::acme {
namespace {

using model::Error;
using model::Result;
using model::Status;
namespace http = boost::beast::http;

std::optional<std::string> read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Key material on disk: mode 0600 from the first byte, replaced atomically, every failure
// reported (files/private_file.hpp).
Status write_private(const std::string& path, const std::string& data) {
  return files::write_private_file(path, data);
}

class DirectoryStorage final : public Storage {
 public:
  explicit DirectoryStorage(std::string dir) : dir_(std::move(dir)) {}

  std::string where() const override { return dir_; }

  Status prepare() override {
    std::error_code ec;
    std::filesystem::create_directories(dir_ + "/certs", ec);
    if (ec) return Error{"storage " + dir_ + ": " + ec.message()};
    ::chmod(std::filesystem::path(dir_).parent_path().c_str(), 0700);
    ::chmod(dir_.c_str(), 0700);
    return model::kOk;
  }

  awaitable<Result<Files>> load() override {
    Files out;
    if (auto key = read(dir_ + "/account.key")) out["account.key"] = std::move(*key);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/certs", ec)) {
      const auto name = entry.path().filename().string();
      if (name.ends_with(".tmp")) continue;  // A write a crash interrupted.
      if (auto data = read(entry.path().string())) out["certs/" + name] = std::move(*data);
    }
    if (ec) co_return Error{"storage " + dir_ + "/certs: " + ec.message()};
    co_return out;
  }

  awaitable<Status> save(const Files& files) override {
    for (const auto& [name, data] : files) {
      if (auto ok = write_private(dir_ + "/" + name, data); !ok) co_return ok;
    }
    co_return model::kOk;
  }

 private:
  std::string dir_;
};

// The `message` of a Kubernetes Status body, else the body itself (never a Secret's data:
// only error answers get here).
std::string api_reason(const kubernetes::ApiResponse& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  std::string why = r.body;
  if (!d.HasParseError() && d.IsObject() && d.HasMember("message") && d["message"].IsString()) {
    why = d["message"].GetString();
  }
  return "HTTP " + std::to_string(r.status) + ": " + why;
}

class SecretStorage final : public Storage {
 public:
  SecretStorage(kubernetes::ApiClient& client, std::string ns, std::string name,
                std::string resolver)
      : client_(client), ns_(std::move(ns)), name_(std::move(name)), prefix_(resolver + ".") {}

  std::string where() const override { return "secret " + ns_ + "/" + name_; }

  Status prepare() override { return model::kOk; }

  awaitable<Result<Files>> load() override {
    auto res = co_await client_.request(http::verb::get, collection() + "/" + name_);
    if (!res) co_return Error{where() + ": " + res.error()};
    if (res->status == 404) co_return Files{};  // Made by the first save.
    if (res->status != 200) co_return Error{where() + ": " + api_reason(*res)};
    rapidjson::Document d;
    d.Parse(res->body.c_str());
    if (d.HasParseError() || !d.IsObject()) co_return Error{where() + ": invalid JSON"};
    Files out;
    if (!d.HasMember("data") || !d["data"].IsObject()) co_return out;
    const rapidjson::Value& data = d["data"];  // Const: clang finds the mutable iterators'
    for (const auto& m : data.GetObject()) {   // comparison ambiguous in C++20.
      std::string_view key(m.name.GetString(), m.name.GetStringLength());
      if (!key.starts_with(prefix_) || !m.value.IsString()) continue;
      auto value = text::base64_decode(m.value.GetString());
      if (!value) co_return Error{where() + ": data[" + std::string(key) + "] is not base64"};
      out[file_name(key.substr(prefix_.size()))] = std::move(*value);
    }
    co_return out;
  }

  awaitable<Status> save(const Files& files) override {
    // Patch first (the usual case once the Secret exists); create when it does not; patch
    // again when another writer created it meanwhile.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto patched = co_await client_.request(http::verb::patch, collection() + "/" + name_,
                                              body(files, false), "application/merge-patch+json");
      if (!patched) co_return Error{where() + ": " + patched.error()};
      if (patched->status == 200) co_return model::kOk;
      if (patched->status != 404) co_return Error{where() + ": " + api_reason(*patched)};
      auto made = co_await client_.request(http::verb::post, collection(), body(files, true));
      if (!made) co_return Error{where() + ": " + made.error()};
      if (made->status == 200 || made->status == 201) co_return model::kOk;
      if (made->status != 409) co_return Error{where() + ": " + api_reason(*made)};
    }
    co_return Error{where() + ": created and removed by someone else while being written"};
  }

 private:
  std::string collection() const { return "/api/v1/namespaces/" + ns_ + "/secrets"; }

  // Secret data keys allow [-._a-zA-Z0-9] only, so "certs/a.crt" is kept as "certs.a.crt".
  std::string data_key(const std::string& file) const {
    std::string k = file;
    if (k.starts_with("certs/")) k[5] = '.';
    return prefix_ + k;
  }
  static std::string file_name(std::string_view key) {
    std::string f(key);
    if (f.starts_with("certs.")) f[5] = '/';
    return f;
  }

  std::string body(const Files& files, bool create) const {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    auto str = [&](const std::string& s) {
      w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    };
    w.StartObject();
    if (create) {
      w.Key("apiVersion");
      str("v1");
      w.Key("kind");
      str("Secret");
      w.Key("metadata");
      w.StartObject();
      w.Key("name");
      str(name_);
      w.Key("namespace");
      str(ns_);
      w.Key("labels");
      w.StartObject();
      w.Key("app.kubernetes.io/managed-by");
      str("wharf");
      w.EndObject();
      w.EndObject();
      w.Key("type");
      str("Opaque");
    }
    w.Key("data");
    w.StartObject();
    for (const auto& [file, data] : files) {
      w.Key(data_key(file).c_str());
      str(text::base64_encode(data));
    }
    w.EndObject();
    w.EndObject();
    return sb.GetString();
  }

  kubernetes::ApiClient& client_;
  std::string ns_, name_, prefix_;
};

}  // namespace

std::unique_ptr<Storage> directory_storage(std::string dir) {
  return std::make_unique<DirectoryStorage>(std::move(dir));
}

std::unique_ptr<Storage> secret_storage(kubernetes::ApiClient& client, std::string ns,
                                        std::string name, std::string resolver) {
  return std::make_unique<SecretStorage>(client, std::move(ns), std::move(name),
                                         std::move(resolver));
}

}  // namespace wharf::controller::acme
