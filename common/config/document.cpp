#include "config/document.hpp"

#include <cstdio>
#include <sstream>

#include <toml++/toml.h>

namespace wharf::config {
namespace {

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

// YAML's double-quoted scalar: every string keeps its exact text, whatever it looks like
// (`true`, `08`, `*`, a rule with backquotes).
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class Transcriber {
 public:
  Transcript done() && { return std::move(out_); }

  void table(const toml::table& t, int indent) {
    for (auto&& [key, value] : t) {
      // A table's own line is its [header]'s; a value's, its key's.
      int line = static_cast<int>(key.source().begin.line);
      if (value.is_table() && value.source().begin.line > 0) {
        line = static_cast<int>(value.source().begin.line);
      }
      start(indent, line);
      out_.yaml += quoted(key.str()) + ":";
      nested(value, indent);
    }
  }

 private:
  // What follows "key:" or "-": a scalar on the same line, a collection on the next ones.
  void nested(const toml::node& value, int indent) {
    if (const auto* t = value.as_table()) {
      if (t->empty()) {
        out_.yaml += " {}";
        return;
      }
      table(*t, indent + 2);
    } else if (const auto* a = value.as_array()) {
      if (a->empty()) {
        out_.yaml += " []";
        return;
      }
      for (const auto& item : *a) {
        start(indent + 2, static_cast<int>(item.source().begin.line));
        out_.yaml += "-";
        nested(item, indent + 2);
      }
    } else {
      out_.yaml += " " + scalar(value);
    }
  }

  static std::string scalar(const toml::node& v) {
    if (const auto* s = v.as_string()) return quoted(s->get());
    std::ostringstream text;
    if (const auto* b = v.as_boolean()) {
      text << (b->get() ? "true" : "false");
    } else if (const auto* i = v.as_integer()) {
      text << i->get();
    } else if (const auto* f = v.as_floating_point()) {
      text << *f;
    } else if (const auto* d = v.as_date()) {
      text << *d;
    } else if (const auto* tm = v.as_time()) {
      text << *tm;
    } else if (const auto* dt = v.as_date_time()) {
      text << *dt;
    }
    return quoted(text.str());
  }

  void start(int indent, int source_line) {
    if (!out_.yaml.empty()) out_.yaml += "\n";
    out_.yaml.append(static_cast<std::size_t>(indent), ' ');
    out_.lines.push_back(source_line);
  }

  Transcript out_;
};

}  // namespace

Format format_of(std::string_view file_name) {
  return ends_with_ci(file_name, ".toml") ? Format::kToml : Format::kYaml;
}

int Where::line(const YAML::Node& n) const {
  int yaml_line = n.Mark().line;  // 0-based; -1 for a node without a position.
  if (!lines_) return yaml_line + 1;
  if (yaml_line < 0 || static_cast<std::size_t>(yaml_line) >= lines_->size()) return 0;
  return (*lines_)[static_cast<std::size_t>(yaml_line)];
}

model::Result<Transcript> toml_to_yaml(std::string_view text, std::string_view name) {
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return model::Error{std::string(name) + ":" + std::to_string(e.source().begin.line) + ":" +
                        std::to_string(e.source().begin.column) + ": " +
                        std::string(e.description())};
  }
#else
  auto parsed = toml::parse(text, name);
  if (!parsed) {
    const auto& e = parsed.error();
    return model::Error{std::string(name) + ":" + std::to_string(e.source().begin.line) + ":" +
                        std::to_string(e.source().begin.column) + ": " +
                        std::string(e.description())};
  }
  root = std::move(parsed).table();
#endif
  Transcriber t;
  t.table(root, 0);
  return std::move(t).done();
}

model::Result<Document> parse(std::string_view text, std::string_view name, Format format) {
  std::shared_ptr<const std::vector<int>> lines;
  std::string yaml;
  if (format == Format::kToml) {
    auto t = toml_to_yaml(text, name);
    if (!t) return model::Error{t.error()};
    yaml = std::move(t->yaml);
    lines = std::make_shared<const std::vector<int>>(std::move(t->lines));
  } else {
    yaml = std::string(text);
  }
  Where where(name, lines);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    // Only YAML text the user wrote can fail here: the TOML transcript is always valid.
    return model::Error{std::string(name) + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1) + ": " + e.msg};
  }
  return Document{root, where};
}

}  // namespace wharf::config
