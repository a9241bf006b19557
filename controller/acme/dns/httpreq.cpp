#include "controller/acme/dns/httpreq.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace wharf::controller::acme::dns {
namespace {

using model::Error;
using model::Result;
using model::Status;

// lego's two bodies: {"fqdn": "_acme-challenge.example.com.", "value": TXT} by default;
// {"domain", "token", "keyAuth"} in RAW mode.
std::string body_of(const Challenge& c, bool raw) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto put = [&](const char* key, const std::string& v) {
    w.Key(key);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  if (raw) {
    put("domain", c.domain);
    put("token", c.token);
    put("keyAuth", c.key_authorization);
  } else {
    put("fqdn", c.fqdn + ".");
    put("value", c.value);
  }
  w.EndObject();
  return sb.GetString();
}

}  // namespace

Result<HttpReqOptions> httpreq_options(const std::map<std::string, std::string>& env) {
  auto get = [&](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  HttpReqOptions o;
  std::string endpoint = get("HTTPREQ_ENDPOINT");
  if (endpoint.empty()) return Error{"HTTPREQ_ENDPOINT is not set (the URL of the hook)"};
  const auto scheme_end = endpoint.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : endpoint.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Error{"HTTPREQ_ENDPOINT='" + endpoint + "': expected an http:// or https:// URL"};
  }
  const auto path_at = endpoint.find('/', scheme_end + 3);
  o.origin = endpoint.substr(0, path_at);
  o.path = path_at == std::string::npos ? "" : endpoint.substr(path_at);
  while (!o.path.empty() && o.path.back() == '/') o.path.pop_back();
  const std::string mode = get("HTTPREQ_MODE");
  if (!mode.empty() && mode != "RAW") {
    return Error{"HTTPREQ_MODE='" + mode + "': expected RAW, or nothing for lego's default body"};
  }
  o.raw = mode == "RAW";
  o.username = get("HTTPREQ_USERNAME");
  o.password = get("HTTPREQ_PASSWORD");
  if (o.username.empty() != o.password.empty()) {
    return Error{o.username.empty() ? "HTTPREQ_PASSWORD is set without HTTPREQ_USERNAME"
                                    : "HTTPREQ_USERNAME is set without HTTPREQ_PASSWORD"};
  }
  return o;
}

HttpReq::HttpReq(asio::any_io_executor ex, HttpReqOptions options) : opt_(std::move(options)) {
  kubernetes::ClusterConfig c;
  c.server = opt_.origin;
  c.source = "DNS hook " + opt_.origin;
  if (!opt_.username.empty()) c.basic_auth = opt_.username + ":" + opt_.password;
  http_ = std::make_unique<kubernetes::ApiClient>(ex, std::move(c));
  (void)http_->init();  // The system's CAs: nothing that can fail without a CA bundle.
}

awaitable<Status> HttpReq::call(std::string action, Challenge c) {
  const std::string target = opt_.path + "/" + action;
  const std::string body = body_of(c, opt_.raw);
  auto r = co_await http_->request(boost::beast::http::verb::post, target, body);
  const std::string what = action + " TXT " + c.fqdn + " at " + opt_.origin + target;
  if (!r) co_return Error{what + ": " + r.error()};
  if (r->status < 200 || r->status > 299) {
    co_return Error{what + ": HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200)};
  }
  co_return model::kOk;
}

awaitable<Status> HttpReq::present(Challenge c) {
  co_return co_await call("present", std::move(c));
}

awaitable<Status> HttpReq::cleanup(Challenge c) {
  co_return co_await call("cleanup", std::move(c));
}

}  // namespace wharf::controller::acme::dns
