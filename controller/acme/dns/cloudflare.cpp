#include "controller/acme/dns/cloudflare.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>

#include "text/percent.hpp"

namespace wharf::controller::acme::dns {
namespace {

using model::Error;
using model::Result;
using model::Status;
namespace http = boost::beast::http;

std::string get(const std::map<std::string, std::string>& env, const char* a, const char* b = "") {
  for (const char* name : {a, b}) {
    if (!*name) continue;
    if (auto it = env.find(name); it != env.end() && !it->second.empty()) return it->second;
  }
  return {};
}

// The answer's `result`, or the envelope's errors as one message.
Result<rapidjson::Document> envelope(const Result<kubernetes::ApiResponse>& r) {
  if (!r) return Error{r.error()};
  rapidjson::Document d;
  d.Parse(r->body.c_str());
  if (d.HasParseError() || !d.IsObject()) {
    return Error{"HTTP " + std::to_string(r->status) + ", not Cloudflare's JSON"};
  }
  const bool success = d.HasMember("success") && d["success"].IsBool() && d["success"].GetBool();
  if (success && r->status >= 200 && r->status <= 299) return d;
  std::string why;
  if (d.HasMember("errors") && d["errors"].IsArray()) {
    for (const auto& e : d["errors"].GetArray()) {
      if (!why.empty()) why += "; ";
      why += "Cloudflare";
      if (e.HasMember("code") && e["code"].IsInt()) why += " " + std::to_string(e["code"].GetInt());
      if (e.HasMember("message") && e["message"].IsString()) {
        why += std::string(": ") + e["message"].GetString();
      }
    }
  }
  if (why.empty()) why = "Cloudflare answered HTTP " + std::to_string(r->status);
  return Error{why};
}

std::string first_id(const rapidjson::Document& d) {
  if (!d.HasMember("result") || !d["result"].IsArray() || d["result"].Empty()) return {};
  const auto& first = d["result"][0];
  return first.HasMember("id") && first["id"].IsString() ? first["id"].GetString() : "";
}

}  // namespace

Result<CloudflareOptions> cloudflare_options(const std::map<std::string, std::string>& env) {
  CloudflareOptions o;
  o.dns_token = get(env, "CF_DNS_API_TOKEN", "CLOUDFLARE_DNS_API_TOKEN");
  o.zone_token = get(env, "CF_ZONE_API_TOKEN", "CLOUDFLARE_ZONE_API_TOKEN");
  if (o.dns_token.empty()) {
    if (!get(env, "CF_API_KEY", "CLOUDFLARE_API_KEY").empty()) {
      return Error{
          "CF_API_KEY (the global API key) is not supported: set CF_DNS_API_TOKEN to "
          "an API token with Zone:Read and DNS:Edit"};
    }
    return Error{"CF_DNS_API_TOKEN is not set (an API token with Zone:Read and DNS:Edit)"};
  }
  if (o.zone_token.empty()) o.zone_token = o.dns_token;
  if (auto ttl = get(env, "CLOUDFLARE_TTL", "CF_TTL"); !ttl.empty()) {
    auto [end, ec] = std::from_chars(ttl.data(), ttl.data() + ttl.size(), o.ttl);
    if (ec != std::errc{} || end != ttl.data() + ttl.size() || o.ttl == 0) {
      return Error{"CLOUDFLARE_TTL='" + ttl + "': expected a whole number of seconds"};
    }
  }
  if (auto base = get(env, "CLOUDFLARE_BASE_URL"); !base.empty()) {
    const auto scheme_end = base.find("://");
    if (scheme_end == std::string::npos) {
      return Error{"CLOUDFLARE_BASE_URL='" + base + "': expected an http(s):// URL"};
    }
    const auto path_at = base.find('/', scheme_end + 3);
    o.origin = base.substr(0, path_at);
    o.root = path_at == std::string::npos ? "" : base.substr(path_at);
    while (!o.root.empty() && o.root.back() == '/') o.root.pop_back();
  }
  return o;
}

Cloudflare::Cloudflare(asio::any_io_executor ex, CloudflareOptions options)
    : opt_(std::move(options)) {
  for (auto [client, token] :
       {std::pair{&dns_, &opt_.dns_token}, std::pair{&zones_, &opt_.zone_token}}) {
    kubernetes::ClusterConfig c;
    c.server = opt_.origin;
    c.token = *token;
    c.source = "Cloudflare " + opt_.origin;
    *client = std::make_unique<kubernetes::ApiClient>(ex, std::move(c));
    (void)(*client)->init();  // The system's CAs: nothing that can fail without a CA bundle.
  }
}

awaitable<Result<std::string>> Cloudflare::zone_id(std::string fqdn) {
  // The longest parent Cloudflare has a zone for: "a.b.example.com" asks for a.b.example.com,
  // b.example.com, example.com in turn.
  std::string name = fqdn.substr(fqdn.find('.') + 1);
  std::string last_error;
  while (name.find('.') != std::string::npos) {
    auto r = co_await zones_->request(http::verb::get,
                                      opt_.root + "/zones?name=" + text::percent_encode(name));
    auto d = envelope(r);
    if (!d) co_return Error{"zone lookup for " + name + ": " + d.error()};
    if (auto id = first_id(*d); !id.empty()) co_return id;
    name = name.substr(name.find('.') + 1);
  }
  co_return Error{"no Cloudflare zone holds " + fqdn + " (or the token may not read it)"};
}

awaitable<Status> Cloudflare::present(Challenge c) {
  const std::string& fqdn = c.fqdn;
  const std::string& value = c.value;
  auto zone = co_await zone_id(fqdn);
  if (!zone) co_return Error{zone.error()};
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("type");
  w.String("TXT");
  w.Key("name");
  w.String(fqdn.c_str(), static_cast<rapidjson::SizeType>(fqdn.size()));
  w.Key("content");
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  w.Key("ttl");
  w.Uint(opt_.ttl);
  w.EndObject();
  auto r = co_await dns_->request(http::verb::post, opt_.root + "/zones/" + *zone + "/dns_records",
                                  sb.GetString());
  auto d = envelope(r);
  if (!d) co_return Error{"creating TXT " + fqdn + ": " + d.error()};
  co_return model::kOk;
}

awaitable<Status> Cloudflare::cleanup(Challenge c) {
  const std::string& fqdn = c.fqdn;
  const std::string& value = c.value;
  auto zone = co_await zone_id(fqdn);
  if (!zone) co_return Error{zone.error()};
  const std::string records = opt_.root + "/zones/" + *zone + "/dns_records";
  auto found = co_await dns_->request(http::verb::get,
                                      records + "?type=TXT&name=" + text::percent_encode(fqdn) +
                                          "&content=" + text::percent_encode(value));
  auto d = envelope(found);
  if (!d) co_return Error{"finding TXT " + fqdn + ": " + d.error()};
  const std::string id = first_id(*d);
  if (id.empty()) co_return model::kOk;  // Already gone.
  auto r = co_await dns_->request(http::verb::delete_, records + "/" + id);
  auto gone = envelope(r);
  if (!gone) co_return Error{"deleting TXT " + fqdn + ": " + gone.error()};
  co_return model::kOk;
}

}  // namespace wharf::controller::acme::dns
