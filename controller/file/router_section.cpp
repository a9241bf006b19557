#include "controller/file/router_section.hpp"

namespace wharf::controller::file {

model::ConfigRouter read_router(const YAML::Node& key, const YAML::Node& node, const Where& w,
                                RouterKind kind) {
  const std::string name = key.Scalar();
  const std::string section = kind == RouterKind::kTcp ? "tcp.routers." : "http.routers.";
  model::ConfigRouter r;
  r.name = name;
  r.source = w.source(key);
  if (!node.IsMap()) {
    r.errors.push_back(w.at(node, "router " + name + ": expected a mapping"));
    return r;
  }
  for (const auto& kv : node) {
    const auto key = lower(kv.first.Scalar());
    const YAML::Node& v = kv.second;
    // Flattened the way labels spell them (`tls: {certResolver: le}` is tls.certresolver=le,
    // a list is joined with commas), then read by the decoder every provider shares.
    std::vector<std::pair<std::string, std::string>> options;
    if (key == "tls" && (v.IsMap() || v.IsNull())) options.emplace_back("tls", "true");
    if (key == "entrypoints" || key == "middlewares") {
      std::vector<std::string> names;  // One name per entry: no entry may hide a comma list.
      if (!v.IsScalar() && !string_list(v, names)) {
        r.errors.push_back(
            w.at(v, section + name + "." + kv.first.Scalar() + ": expected a list of names"));
        continue;
      }
    }
    flatten(v, key, options);
    for (const auto& [k, value] : options) {
      auto why = router_option(r, k, value, kind);
      if (!why || !why->empty()) {
        r.errors.push_back(
            w.at(v, section + name + "." + k + ": " + (why ? *why : "unknown router option")));
      }
    }
  }
  for (const auto& why : router_options_problems(r)) {
    r.errors.push_back(w.at(key, section + name + ": " + why));
  }
  if (r.rule.empty() && r.errors.empty())
    r.errors.push_back(w.at(key, section + name + ": missing rule"));
  if (r.service.empty() && r.errors.empty())
    r.errors.push_back(w.at(key, section + name + ": missing service"));
  return r;
}

}  // namespace wharf::controller::file
