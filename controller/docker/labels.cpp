#include "controller/docker/labels.hpp"

#include <cctype>
#include <set>

#include "text/integer.hpp"

namespace wharf::controller::docker {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals_prefix(std::string_view key, std::string_view prefix) {
  if (key.size() <= prefix.size() || key[prefix.size()] != '.') return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(key[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// Which segment holds a user-chosen name: http.routers.<name>, http.services.<name>,
// http.middlewares.<name> (and the same under tcp/udp).
bool is_name_segment(const std::vector<std::string>& path, std::size_t i) {
  return i == 2 && (path[1] == "routers" || path[1] == "services" || path[1] == "middlewares");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<Label> labels_under(const std::map<std::string, std::string>& labels,
                                const std::vector<std::string>& prefixes) {
  std::vector<Label> out;
  std::set<std::string> seen;  // Canonical paths already taken by an earlier prefix.
  for (const auto& prefix : prefixes) {
    for (const auto& [key, value] : labels) {
      if (!iequals_prefix(key, prefix)) continue;
      Label l;
      l.key = key;
      l.value = value;
      std::string_view rest = std::string_view(key).substr(prefix.size() + 1);
      std::string canonical;
      while (true) {
        auto dot = rest.find('.');
        auto seg = rest.substr(0, dot);
        l.path.push_back(is_name_segment(l.path, l.path.size()) ? std::string(seg) : lower(seg));
        canonical += l.path.back();
        canonical += '.';
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
      }
      if (seen.insert(canonical).second) out.push_back(std::move(l));
    }
  }
  return out;
}

std::string join_path(const std::vector<std::string>& path, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < path.size(); ++i) {
    if (!out.empty()) out += '.';
    out += path[i];
  }
  return out;
}

model::Result<std::uint16_t> service_port(const Label* port_label,
                                          const std::vector<std::uint16_t>& exposed) {
  if (!port_label) return exposed.empty() ? std::uint16_t{0} : exposed.front();
  unsigned v = 0;
  if (!text::parse_integer(port_label->value, v) || v == 0 || v > 65535) {
    return model::Error{label_error(*port_label, "expected a port number between 1 and 65535")};
  }
  return static_cast<std::uint16_t>(v);
}

std::string label_error(const Label& l, const std::string& why) {
  return "label " + l.key + "=" + l.value + ": " + why;
}

model::Result<bool> parse_bool(std::string_view value) {
  auto v = lower(trim(value));
  if (v == "true") return true;
  if (v == "false") return false;
  return model::Error{"expected true or false"};
}

model::Result<std::optional<bool>> enable_label(const std::vector<Label>& labels) {
  for (const auto& l : labels) {
    if (l.path.size() == 1 && l.path[0] == "enable") {
      auto b = parse_bool(l.value);
      if (!b) return model::Error{"label " + l.key + "=" + l.value + ": " + b.error()};
      return std::optional<bool>{*b};
    }
  }
  return std::optional<bool>{};
}

std::string normalize_name(std::string_view name) {
  std::string out;
  bool pending_dash = false;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (pending_dash && !out.empty()) out += '-';
      pending_dash = false;
      out += c;
    } else {
      pending_dash = true;
    }
  }
  return out;
}

model::Result<std::string> expand_default_rule(std::string_view tpl, std::string_view name,
                                               const std::map<std::string, std::string>& labels) {
  std::string out;
  while (true) {
    auto open = tpl.find("{{");
    if (open == std::string_view::npos) break;
    auto close = tpl.find("}}", open);
    if (close == std::string_view::npos) return model::Error{"default rule: unterminated {{"};
    out.append(tpl.substr(0, open));
    auto action = trim(tpl.substr(open + 2, close - open - 2));
    // Functions before the value, innermost last: `normalize .Name`, `lower (index .Labels "k")`
    // (Traefik's normalize, and sprig's lower and upper).
    std::vector<std::string_view> functions;
    for (bool more = true; more;) {
      more = false;
      for (std::string_view f : {"normalize ", "lower ", "upper "}) {
        if (!action.starts_with(f)) continue;
        functions.push_back(f.substr(0, f.size() - 1));
        action = trim(action.substr(f.size()));
        if (action.size() >= 2 && action.front() == '(' && action.back() == ')') {
          action = trim(action.substr(1, action.size() - 2));
        }
        more = true;
      }
    }
    std::string value;
    if (action == ".Name") {
      value = std::string(name);
    } else if (action.substr(0, 13) == "index .Labels") {
      auto key = trim(action.substr(13));
      if (key.size() < 2 || key.front() != '"' || key.back() != '"') {
        return model::Error{"default rule: expected index .Labels \"key\""};
      }
      auto it = labels.find(std::string(key.substr(1, key.size() - 2)));
      if (it != labels.end()) value = it->second;
    } else {
      return model::Error{"default rule: unsupported template action '{{ " + std::string(action) +
                          " }}' (use .Name or index .Labels \"key\", optionally with normalize, "
                          "lower or upper before it)"};
    }
    for (auto f = functions.rbegin(); f != functions.rend(); ++f) {
      if (*f == "normalize") {
        value = normalize_name(value);
      } else {
        for (char& c : value) {
          c = static_cast<char>(*f == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                              : std::toupper(static_cast<unsigned char>(c)));
        }
      }
    }
    out += value;
    tpl.remove_prefix(close + 2);
  }
  out.append(tpl);
  return out;
}

}  // namespace wharf::controller::docker
