#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace wharf::controller::docker {

// One label under a configured prefix, e.g. `Traefik.HTTP.Routers.Immich.Rule` with prefixes
// {wharf, traefik} → path {"http", "routers", "Immich", "rule"}. Keys are case-insensitive like
// Traefik's, so every path segment is lower-cased except object names (routers, services and
// middlewares keep the case they were given, as Traefik's do).
struct Label {
  std::vector<std::string> path;
  std::string key;  // As written on the container, for error messages.
  std::string value;
};

// The labels under any of `prefixes`. When two prefixes set the same path, the prefix listed
// first wins, so `wharf.*` can override a `traefik.*` label kept for compatibility.
std::vector<Label> labels_under(const std::map<std::string, std::string>& labels,
                                const std::vector<std::string>& prefixes);

// `<prefix>.enable`, when present: true/false in any case; anything else is an error.
model::Result<std::optional<bool>> enable_label(const std::vector<Label>& labels);

model::Result<bool> parse_bool(std::string_view value);

// The label's path from segment `from` on, dotted: an option's key relative to its object
// (`tls.certresolver` of http.routers.web.tls.certresolver).
std::string join_path(const std::vector<std::string>& path, std::size_t from);

// The port a service's server gets: its `server.port` label (an error when that is not a port
// number), else the lowest port the container exposes for the protocol; 0 when neither is.
model::Result<std::uint16_t> service_port(const Label* port_label,
                                          const std::vector<std::uint16_t>& exposed);

// "label KEY=VALUE: why", the form of every label's error.
std::string label_error(const Label& l, const std::string& why);

// Traefik's Normalize: runs of characters that are not letters or digits become one '-',
// with none at either end ("/whoami_demo" → "whoami-demo").
std::string normalize_name(std::string_view name);

// Expands the default rule template (`--docker-default-rule`, Traefik's `defaultRule`) for a
// container. Supports the forms Traefik users write: `{{ normalize .Name }}`, `{{ .Name }}`,
// `{{ index .Labels "key" }}` and `{{ normalize (index .Labels "key") }}`.
model::Result<std::string> expand_default_rule(std::string_view tpl, std::string_view name,
                                               const std::map<std::string, std::string>& labels);

}  // namespace wharf::controller::docker
