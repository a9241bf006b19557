#pragma once

// A configuration file as one tree, whatever it was written in. Traefik users keep their static
// and dynamic configuration in YAML or TOML; both are read into yaml-cpp's node tree so that one
// reader (case-insensitive keys, the same messages) serves the two formats. TOML is turned into
// YAML text line by line, and the line each YAML line came from is kept: an error about a value
// names the line of the TOML file the user wrote, not of the intermediate text.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "model/result.hpp"

namespace wharf::config {

enum class Format { kYaml, kToml };

// ".toml" is TOML; anything else (".yml", ".yaml", a ConfigMap key without a suffix) is YAML.
Format format_of(std::string_view file_name);

// Error text with the file and 1-based line of the node it is about.
class Where {
 public:
  explicit Where(std::string_view file) : file_(file) {}
  Where(std::string_view file, std::shared_ptr<const std::vector<int>> lines)
      : file_(file), lines_(std::move(lines)) {}
  int line(const YAML::Node& n) const;
  std::string at(const YAML::Node& n, const std::string& what) const {
    return source(n) + ": " + what;
  }
  std::string source(const YAML::Node& n) const { return file_ + ":" + std::to_string(line(n)); }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  // TOML only: the source line (1-based) of each line of the YAML text the tree was read from.
  std::shared_ptr<const std::vector<int>> lines_;
};

struct Document {
  YAML::Node root;  // Null for an empty file.
  Where where;
};

// Parses `text`; `name` prefixes every message. A file that does not parse is an error naming
// the line and column. Go templates ({{ ... }}, which Traefik's file provider expands) are
// refused with a message that says so, rather than read as text.
model::Result<Document> parse(std::string_view text, std::string_view name, Format format);

// TOML → YAML text plus the TOML line of every YAML line (exposed for tests).
struct Transcript {
  std::string yaml;
  std::vector<int> lines;
};
model::Result<Transcript> toml_to_yaml(std::string_view text, std::string_view name);

}  // namespace wharf::config
