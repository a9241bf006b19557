#include "controller/kubernetes/status_writer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include <boost/asio/ip/address.hpp>

#include "controller/kubernetes/events.hpp"
#include "log/log.hpp"

namespace wharf::controller::kubernetes {
namespace {

namespace http = boost::beast::http;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void sort_addresses(std::vector<LoadBalancerAddress>& v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ip, a.hostname) < std::tie(b.ip, b.hostname);
  });
}

void put(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// {"status":{"loadBalancer":{"ingress":[...]}}}; `null` removes the list (RFC 7386), which is
// how an empty status reads back from the API.
std::string status_patch(const std::vector<LoadBalancerAddress>& addrs) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("status");
  w.StartObject();
  w.Key("loadBalancer");
  w.StartObject();
  w.Key("ingress");
  if (addrs.empty()) {
    w.Null();
  } else {
    w.StartArray();
    for (const auto& a : addrs) {
      w.StartObject();
      if (!a.ip.empty()) put(w, "ip", a.ip);
      if (!a.hostname.empty()) put(w, "hostname", a.hostname);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

}  // namespace

std::vector<LoadBalancerAddress> published_addresses(const StatusOptions& opt,
                                                     const Snapshot& snap) {
  std::vector<LoadBalancerAddress> out;
  for (const auto& a : opt.publish_addresses) {
    boost::system::error_code ec;
    asio::ip::make_address(a, ec);
    out.push_back(ec ? LoadBalancerAddress{"", a} : LoadBalancerAddress{a, ""});
  }
  if (out.empty() && !opt.publish_service.empty()) {
    for (const auto& s : snap.services) {
      if (s.meta.ns + "/" + s.meta.name == opt.publish_service) out = s.status;
    }
  }
  sort_addresses(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

StatusWriter::StatusWriter(asio::any_io_executor ex, ApiClient& client, StatusOptions options,
                           std::string identity)
    : client_(client), opt_(std::move(options)), identity_(std::move(identity)), work_(ex) {}

void StatusWriter::update(std::vector<IngressReport> reports,
                          std::vector<LoadBalancerAddress> published) {
  reports_ = std::move(reports);
  published_ = std::move(published);
  work_.wake();
}

void StatusWriter::set_leader(bool leader) {
  if (leader) written_.clear();  // A new term: what we wrote may have been overwritten.
  work_.set_leader(leader);
}

awaitable<void> StatusWriter::run() {
  auto step = [this] { return sync(); };  // Named: no temporary in a co_await (GCC 12).
  co_await work_.run(step);
}

awaitable<bool> StatusWriter::sync() {
  const auto reports = reports_;  // update() may replace them while we wait on the API.
  const auto published = published_;
  const bool publishing = !opt_.publish_service.empty() || !opt_.publish_addresses.empty();
  bool ok = true;
  std::set<std::string> still_due, present;
  for (const auto& r : reports) {
    if (!work_.leader()) co_return true;
    auto current = r.status;
    sort_addresses(current);
    std::optional<std::vector<LoadBalancerAddress>> desired;
    if (!r.write_status) {
      // An ingress-nginx-class Ingress while ingress-nginx still runs: its addresses stay.
    } else if (r.ours && publishing) {
      desired = published;
    } else if (!r.ours && !published.empty() && current == published) {
      desired = std::vector<LoadBalancerAddress>{};  // Left our class: take our addresses back.
    }
    const std::string key = r.meta.ns + "/" + r.meta.name;
    present.insert(key);
    if (desired && *desired != current) {
      auto w = written_.find(key);
      bool pending = w != written_.end() && w->second.first == r.meta.resource_version &&
                     w->second.second == *desired;
      if (!pending) {
        if (co_await write_status(r, *desired)) {
          written_[key] = {r.meta.resource_version, *desired};
        } else {
          ok = false;
        }
      }
    }
    if (!r.ours) continue;
    for (const auto& problem : r.problems) {
      std::string id = r.meta.uid + "|" + std::to_string(r.meta.generation) + "|" + problem;
      still_due.insert(id);
      if (evented_.count(id)) continue;
      if (co_await post_event(r, problem)) {
        evented_.insert(id);
      } else {
        ok = false;
      }
    }
  }
  // Forget problems that went away, so one that comes back is reported again, and writes to
  // Ingresses that are gone.
  std::erase_if(evented_, [&](const std::string& id) { return !still_due.count(id); });
  std::erase_if(written_, [&](const auto& w) { return !present.count(w.first); });
  co_return ok;
}

awaitable<bool> StatusWriter::write_status(const IngressReport& r,
                                           const std::vector<LoadBalancerAddress>& desired) {
  const std::string target = "/apis/networking.k8s.io/v1/namespaces/" + r.meta.ns + "/ingresses/" +
                             r.meta.name + "/status";
  auto res = co_await client_.request(http::verb::patch, target, status_patch(desired),
                                      "application/merge-patch+json");
  std::string why;
  if (!res) {
    why = res.error();
  } else if (res->status == 404) {
    co_return true;  // Deleted meanwhile: nothing to update.
  } else if (res->status != 200) {
    why = "HTTP " + std::to_string(res->status) + ": " + res->body;
  }
  if (!why.empty()) {
    if (why != last_error_)
      log::warn("kubernetes: status of ingress " + r.meta.ns + "/" + r.meta.name + ": " + why);
    last_error_ = why;
    co_return false;
  }
  log::info("kubernetes: ingress " + r.meta.ns + "/" + r.meta.name + " status " +
            (desired.empty() ? "cleared" : "set to " + status_patch(desired)));
  co_return true;
}

awaitable<bool> StatusWriter::post_event(const IngressReport& r, const std::string& message) {
  // Named arguments, no temporaries in the co_await (GCC 12, see events.hpp).
  EventSubject subject{"networking.k8s.io/v1", "Ingress", r.meta};
  std::string reason = "Rejected", controller = kControllerName;
  const std::string why = co_await post_warning(client_, std::move(subject), std::move(reason),
                                                message, std::move(controller), identity_);
  if (why.empty()) co_return true;
  if (why != last_error_) {
    log::warn("kubernetes: event for ingress " + r.meta.ns + "/" + r.meta.name + ": " + why);
  }
  last_error_ = why;
  co_return false;
}

}  // namespace wharf::controller::kubernetes
