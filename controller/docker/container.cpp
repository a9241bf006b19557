#include "controller/docker/container.hpp"

#include <algorithm>
#include <charconv>

#include <rapidjson/document.h>

namespace wharf::controller::docker {
namespace {

using model::Error;
using model::Result;
using rapidjson::Value;

std::string_view str(const Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

const Value* member(const Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

bool flag(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  return v && v->IsBool() && v->GetBool();
}

std::map<std::string, std::string> labels_of(const Value* labels) {
  std::map<std::string, std::string> out;
  if (!labels || !labels->IsObject()) return out;
  for (const auto& m : labels->GetObject()) {
    if (!m.value.IsString()) continue;
    out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  return out;
}

// "8080/tcp" → 8080 in `tcp`, "53/udp" → 53 in `udp`; other protocols (sctp) are skipped.
void add_port(std::string_view key, std::vector<std::uint16_t>& tcp,
              std::vector<std::uint16_t>& udp) {
  auto slash = key.find('/');
  const auto proto = slash == std::string_view::npos ? "tcp" : key.substr(slash + 1);
  if (proto != "tcp" && proto != "udp") return;
  auto& out = proto == "tcp" ? tcp : udp;
  auto digits = key.substr(0, slash);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || p != digits.data() + digits.size() || port == 0 || port > 65535) return;
  out.push_back(static_cast<std::uint16_t>(port));
}

Container from_value(const Value& v) {
  Container c;
  c.id = std::string(str(v, "Id"));
  c.name = std::string(str(v, "Name"));
  if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);

  const Value empty(rapidjson::kObjectType);
  const Value* config = member(v, "Config");
  c.labels = labels_of(config ? member(*config, "Labels") : nullptr);

  const Value& state = member(v, "State") ? *member(v, "State") : empty;
  if (flag(state, "Restarting")) {
    c.state = Container::State::kRestarting;
  } else if (flag(state, "Paused")) {
    c.state = Container::State::kPaused;
  } else if (flag(state, "Running")) {
    c.state = Container::State::kRunning;
  }
  if (const Value* health = member(state, "Health")) {
    auto s = str(*health, "Status");
    c.health = s == "healthy"     ? Container::Health::kHealthy
               : s == "unhealthy" ? Container::Health::kUnhealthy
               : s == "starting"  ? Container::Health::kStarting
                                  : Container::Health::kNone;
  }

  if (const Value* host = member(v, "HostConfig"))
    c.network_mode = std::string(str(*host, "NetworkMode"));

  const Value* settings = member(v, "NetworkSettings");
  if (const Value* nets = settings ? member(*settings, "Networks") : nullptr;
      nets && nets->IsObject()) {
    for (const auto& m : nets->GetObject()) {
      std::string ip(str(m.value, "IPAddress"));
      if (ip.empty()) ip = std::string(str(m.value, "GlobalIPv6Address"));
      c.networks.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()), ip);
    }
    std::sort(c.networks.begin(), c.networks.end());
  }

  // Ports the image or `--expose` declared, plus any published ones (NetworkSettings.Ports).
  if (const Value* exposed = config ? member(*config, "ExposedPorts") : nullptr;
      exposed && exposed->IsObject()) {
    for (const auto& m : exposed->GetObject()) {
      add_port(m.name.GetString(), c.exposed_tcp_ports, c.exposed_udp_ports);
    }
  }
  if (const Value* ports = settings ? member(*settings, "Ports") : nullptr;
      ports && ports->IsObject()) {
    for (const auto& m : ports->GetObject()) {
      add_port(m.name.GetString(), c.exposed_tcp_ports, c.exposed_udp_ports);
    }
  }
  for (auto* ports : {&c.exposed_tcp_ports, &c.exposed_udp_ports}) {
    std::sort(ports->begin(), ports->end());
    ports->erase(std::unique(ports->begin(), ports->end()), ports->end());
  }
  return c;
}

Result<rapidjson::Document> parse_json(std::string_view json, const char* what) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return Error{std::string(what) + ": invalid JSON at offset " +
                 std::to_string(doc.GetErrorOffset())};
  }
  return doc;
}

}  // namespace

Result<Container> parse_inspect(std::string_view json) {
  auto doc = parse_json(json, "container inspect");
  if (!doc) return Error{doc.error()};
  if (!doc->IsObject() || str(*doc, "Id").empty()) return Error{"container inspect: no Id"};
  return from_value(*doc);
}

Result<std::vector<Container>> parse_inspect_array(std::string_view json) {
  auto doc = parse_json(json, "docker inspect output");
  if (!doc) return Error{doc.error()};
  if (!doc->IsArray()) return Error{"docker inspect output: expected an array"};
  std::vector<Container> out;
  for (const auto& v : doc->GetArray()) out.push_back(from_value(v));
  return out;
}

Result<std::vector<ContainerSummary>> parse_container_list(std::string_view json) {
  auto doc = parse_json(json, "container list");
  if (!doc) return Error{doc.error()};
  if (!doc->IsArray()) return Error{"container list: expected an array"};
  std::vector<ContainerSummary> out;
  for (const auto& v : doc->GetArray()) {
    ContainerSummary s;
    s.id = std::string(str(v, "Id"));
    if (s.id.empty()) continue;
    s.labels = labels_of(member(v, "Labels"));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace wharf::controller::docker
