#include "controller/acme/acme_client.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "log/log.hpp"

namespace wharf::controller::acme {
namespace {

using boost::beast::http::verb;
using model::Error;
using model::Result;
using model::Status;
using Json = rapidjson::Document;

constexpr int kNonceRetries = 5;
constexpr auto kPollEvery = std::chrono::milliseconds(500);
constexpr int kPolls = 120;  // A minute.

std::string quoted(std::string_view s) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return b.GetString();
}

std::string str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

// "type: detail" of an ACME problem document (RFC 8555 section 6.7), for messages.
std::string problem(const std::string& body) {
  Json doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return body.substr(0, 300);
  std::string type = str(doc, "type");
  if (auto colon = type.rfind(':'); colon != std::string::npos) type = type.substr(colon + 1);
  return type + ": " + str(doc, "detail");
}

awaitable<void> sleep(asio::any_io_executor ex, std::chrono::milliseconds d) {
  asio::steady_timer t(ex, d);
  co_await t.async_wait(kNoThrow);
}

}  // namespace

Client::Client(asio::any_io_executor ex, std::string directory_url, std::string ca_pem,
               const Key& account_key, std::string email)
    : ex_(std::move(ex)),
      directory_url_(std::move(directory_url)),
      key_(account_key),
      email_(std::move(email)) {
  // The origin: scheme://host[:port] of the directory; every ACME URL must share it.
  auto scheme_end = directory_url_.find("://");
  auto path = scheme_end == std::string::npos ? std::string::npos
                                              : directory_url_.find('/', scheme_end + 3);
  origin_ = directory_url_.substr(0, path);
  kubernetes::ClusterConfig c;
  c.server = origin_;
  c.ca_pem = std::move(ca_pem);
  c.source = "ACME server " + origin_;
  http_ = std::make_unique<kubernetes::ApiClient>(ex_, std::move(c));
}

Result<std::string> Client::path_of(const std::string& url) const {
  if (!url.starts_with(origin_) || (url.size() > origin_.size() && url[origin_.size()] != '/')) {
    return Error{"ACME URL " + url + " is not on " + origin_};
  }
  std::string path = url.substr(origin_.size());
  return path.empty() ? std::string("/") : path;
}

awaitable<Status> Client::init() {
  if (auto ok = http_->init(); !ok) co_return Error{ok.error()};
  auto path = path_of(directory_url_);
  if (!path) co_return Error{path.error()};
  auto dir = co_await http_->request(verb::get, *path);
  if (!dir) co_return Error{"directory " + directory_url_ + ": " + dir.error()};
  Json doc;
  doc.Parse(dir->body.c_str());
  if (dir->status != 200 || doc.HasParseError() || !doc.IsObject()) {
    co_return Error{"directory " + directory_url_ + ": status " + std::to_string(dir->status) +
                    ", not an ACME directory"};
  }
  new_nonce_ = str(doc, "newNonce");
  new_account_ = str(doc, "newAccount");
  new_order_ = str(doc, "newOrder");
  if (new_nonce_.empty() || new_account_.empty() || new_order_.empty()) {
    co_return Error{"directory " + directory_url_ + " lacks newNonce/newAccount/newOrder"};
  }
  std::string payload = R"({"termsOfServiceAgreed":true)";
  if (!email_.empty()) payload += R"(,"contact":[)" + quoted("mailto:" + email_) + "]";
  payload += "}";
  auto acct = co_await post(new_account_, payload);
  if (!acct) co_return Error{"account: " + acct.error()};
  if (acct->status != 200 && acct->status != 201) {
    co_return Error{"account: " + problem(acct->body)};
  }
  account_url_ = acct->location;
  if (account_url_.empty()) co_return Error{"account: the server gave no account URL"};
  co_return model::kOk;
}

awaitable<Status> Client::fresh_nonce() {
  auto path = path_of(new_nonce_);
  if (!path) co_return Error{path.error()};
  auto r = co_await http_->request(verb::get, *path);
  if (!r) co_return Error{"newNonce: " + r.error()};
  nonce_ = r->header("Replay-Nonce");
  if (nonce_.empty()) co_return Error{"newNonce: no Replay-Nonce header"};
  co_return model::kOk;
}

awaitable<Result<Client::Reply>> Client::post(const std::string& url, const std::string& payload) {
  auto path = path_of(url);
  if (!path) co_return Error{path.error()};
  for (int attempt = 0;; ++attempt) {
    if (nonce_.empty()) {
      auto ok = co_await fresh_nonce();
      if (!ok) co_return Error{ok.error()};
    }
    // The account's own requests name it by URL (kid); registering names the key (jwk).
    std::string header =
        R"({"alg":"ES256","nonce":)" + quoted(nonce_) + R"(,"url":)" + quoted(url) + "," +
        (account_url_.empty() ? R"("jwk":)" + key_.jwk() : R"("kid":)" + quoted(account_url_)) +
        "}";
    nonce_.clear();
    auto r = co_await http_->request(verb::post, *path, jws(key_, header, payload),
                                     "application/jose+json");
    if (!r) co_return Error{r.error()};
    nonce_ = r->header("Replay-Nonce");
    // A server may refuse any nonce (Pebble does so for 5 % on purpose): the answer carries a
    // fresh one to retry with.
    if (r->status == 400 && r->body.find("badNonce") != std::string::npos &&
        attempt < kNonceRetries) {
      continue;
    }
    co_return Reply{r->status, std::move(r->body), r->header("Location")};
  }
}

const char* challenge_name(ChallengeType type) {
  switch (type) {
    case ChallengeType::kHttp01:
      return "http-01";
    case ChallengeType::kTlsAlpn01:
      return "tls-alpn-01";
    case ChallengeType::kDns01:
      return "dns-01";
  }
  return "";
}

awaitable<Result<std::string>> Client::poll(const std::string& url, const char* what) {
  for (int i = 0; i < kPolls; ++i) {
    auto r = co_await post(url, "");
    if (!r) co_return Error{std::string(what) + ": " + r.error()};
    if (r->status != 200) co_return Error{std::string(what) + ": " + problem(r->body)};
    Json doc;
    doc.Parse(r->body.c_str());
    auto status = str(doc, "status");
    if (status != "pending" && status != "processing") co_return std::move(r->body);
    co_await sleep(ex_, kPollEvery);
  }
  co_return Error{std::string(what) + ": still pending after a minute"};
}

awaitable<Status> Client::authorize(const std::string& authz_url, ChallengeType type,
                                    Presenter& presenter) {
  auto r = co_await post(authz_url, "");
  if (!r) co_return Error{r.error()};
  Json authz;
  authz.Parse(r->body.c_str());
  if (r->status != 200 || authz.HasParseError())
    co_return Error{"authorization: " + problem(r->body)};
  const std::string domain = authz.HasMember("identifier") ? str(authz["identifier"], "value") : "";
  if (str(authz, "status") == "valid") co_return model::kOk;  // Validated recently: reused.
  const char* wanted = challenge_name(type);
  std::string url, token;
  if (authz.HasMember("challenges") && authz["challenges"].IsArray()) {
    for (const auto& c : authz["challenges"].GetArray()) {
      if (str(c, "type") == wanted) url = str(c, "url"), token = str(c, "token");
    }
  }
  if (url.empty()) co_return Error{domain + ": the server offers no " + wanted + " challenge"};
  const std::string key_authorization = token + "." + key_.thumbprint();
  model::AcmeChallenge challenge;
  if (type == ChallengeType::kHttp01) {
    challenge.token = token;
    challenge.key_authorization = key_authorization;
  } else if (type == ChallengeType::kDns01) {
    // A wildcard's authorization names the domain without "*." (RFC 8555 section 7.1.4): it
    // is put back, as lego does, for hooks that are told the domain; the record's name is the
    // apex's either way.
    const bool wildcard =
        authz.HasMember("wildcard") && authz["wildcard"].IsBool() && authz["wildcard"].GetBool();
    challenge.domain = wildcard ? "*." + domain : domain;
    challenge.key_authorization = key_authorization;
  } else {
    auto cert = alpn_certificate(domain, key_authorization);
    if (!cert) co_return Error{domain + ": " + cert.error()};
    challenge.domain = domain;
    challenge.cert_pem = cert->first;
    challenge.key_pem = cert->second;
  }
  auto shown = co_await presenter.present(challenge);
  if (!shown) {
    presenter.withdraw(challenge);
    co_return Error{domain + ": " + shown.error()};
  }
  auto go = co_await post(url, "{}");
  Result<std::string> done = Error{""};
  if (!go) {
    done = Error{go.error()};
  } else if (go->status != 200) {
    done = Error{problem(go->body)};
  } else {
    done = co_await poll(authz_url, "authorization");
  }
  presenter.withdraw(challenge);
  if (!done) co_return Error{domain + ": " + done.error()};
  Json result;
  result.Parse(done->c_str());
  if (str(result, "status") == "valid") co_return model::kOk;
  // The reason the CA gives is the most useful line of the whole exchange: keep it.
  std::string why = "validation failed";
  if (result.HasMember("challenges") && result["challenges"].IsArray()) {
    for (const auto& c : result["challenges"].GetArray()) {
      if (c.HasMember("error")) why = str(c["error"], "detail");
    }
  }
  co_return Error{domain + ": " + wanted + " " + str(result, "status") + ": " + why};
}

awaitable<Result<Issued>> Client::obtain(const std::vector<std::string>& domains,
                                         ChallengeType type, Presenter& presenter) {
  std::string ids;
  for (const auto& d : domains) {
    ids += (ids.empty() ? "" : ",") + std::string(R"({"type":"dns","value":)") + quoted(d) + "}";
  }
  auto order = co_await post(new_order_, R"({"identifiers":[)" + ids + "]}");
  if (!order) co_return Error{"order: " + order.error()};
  if (order->status != 201) co_return Error{"order: " + problem(order->body)};
  const std::string order_url = order->location;
  Json doc;
  doc.Parse(order->body.c_str());
  const std::string finalize = str(doc, "finalize");
  if (doc.HasMember("authorizations") && doc["authorizations"].IsArray()) {
    std::vector<std::string> authzs;
    for (const auto& a : doc["authorizations"].GetArray()) {
      if (a.IsString()) authzs.emplace_back(a.GetString());
    }
    for (const auto& a : authzs) {
      auto ok = co_await authorize(a, type, presenter);
      if (!ok) co_return Error{ok.error()};
    }
  }
  auto cert_key = Key::generate();
  if (!cert_key) co_return Error{cert_key.error()};
  auto request = csr(*cert_key, domains);
  if (!request) co_return Error{request.error()};
  auto fin = co_await post(finalize, R"({"csr":")" + *request + R"("})");
  if (!fin) co_return Error{"finalize: " + fin.error()};
  if (fin->status != 200) co_return Error{"finalize: " + problem(fin->body)};
  auto ready = co_await poll(order_url, "order");
  if (!ready) co_return Error{ready.error()};
  Json final_order;
  final_order.Parse(ready->c_str());
  if (str(final_order, "status") != "valid") {
    co_return Error{"order ended " + str(final_order, "status") + ": " + problem(*ready)};
  }
  auto cert = co_await post(str(final_order, "certificate"), "");
  if (!cert) co_return Error{"certificate: " + cert.error()};
  if (cert->status != 200) co_return Error{"certificate: " + problem(cert->body)};
  co_return Issued{std::move(cert->body), cert_key->pem()};
}

}  // namespace wharf::controller::acme
