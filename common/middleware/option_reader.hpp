#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "middleware/spec.hpp"
#include "model/routing_table.hpp"
#include "text/duration.hpp"
#include "text/split_list.hpp"

// The option reader the middleware spec parsers share (spec.cpp, spec_exchange.cpp); not for
// use outside common/middleware.
namespace wharf::middleware_config::detail {

using model::Error;
using model::Result;

// Reads one middleware's options; every reader records its problems, naming the option, and
// `finish` refuses options nobody read (a typo must not silently drop a setting). Every problem
// is reported, not only the first, so one `--check` run shows all there is to fix.
class Reader {
 public:
  Reader(const Options& options, std::vector<std::string>* warnings)
      : options_(options), used_(options.size(), false), warnings_(warnings) {}

  // The value of `key`, or nullptr.
  const std::string* find(std::string_view key) {
    known_.emplace_back(key);
    for (std::size_t i = options_.size(); i-- > 0;) {
      if (options_[i].first == key) {
        used_[i] = true;
        return &options_[i].second;
      }
    }
    return nullptr;
  }
  // Every option under "prefix.", in order, with the prefix removed.
  std::vector<std::pair<std::string, std::string>> under(std::string_view prefix) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < options_.size(); ++i) {
      const auto& k = options_[i].first;
      if (k.size() > prefix.size() + 1 && k.starts_with(prefix) && k[prefix.size()] == '.') {
        used_[i] = true;
        out.emplace_back(k.substr(prefix.size() + 1), options_[i].second);
      }
    }
    return out;
  }

  // One problem per option: a bad value is not also "required".
  void fail(std::string_view key, const std::string& why) {
    const std::string prefix = std::string(key) + ": ";
    for (const auto& e : errors_) {
      if (e.starts_with(prefix)) return;
    }
    errors_.push_back(prefix + why);
  }
  // An option Traefik accepts and ignores (deprecated): read, with a warning saying so.
  void deprecated(std::string_view key, const std::string& why) {
    if (find(key) && warnings_) warnings_->push_back(std::string(key) + ": " + why);
  }
  void warn(std::string_view key, const std::string& why) {
    if (warnings_) warnings_->push_back(std::string(key) + ": " + why);
  }

  void string(std::string_view key, std::string& out) {
    if (auto v = find(key)) out = *v;
  }
  void list(std::string_view key, std::vector<std::string>& out) {
    if (auto v = find(key)) out = text::split_list(*v);
  }
  void boolean(std::string_view key, bool& out) {
    auto v = find(key);
    if (!v) return;
    std::string s = *v;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "true" || s == "1") {
      out = true;
    } else if (s == "false" || s == "0") {
      out = false;
    } else {
      fail(key, "'" + *v + "' is not a boolean (true or false)");
    }
  }
  template <typename Int>
  void integer(std::string_view key, Int& out, Int min, Int max) {
    auto v = find(key);
    if (!v) return;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || end != v->data() + v->size() || n < static_cast<std::int64_t>(min) ||
        n > static_cast<std::int64_t>(max)) {
      fail(key, "'" + *v + "' is not an integer from " + std::to_string(min) + " to " +
                    std::to_string(max));
      return;
    }
    out = static_cast<Int>(n);
  }
  // Go durations as Traefik takes them ("1s", "500ms", "1m30s"), or a bare number of seconds.
  void duration_ms(std::string_view key, std::uint64_t& out) {
    auto v = find(key);
    if (!v) return;
    auto ms = text::parse_duration_ms(*v);
    if (!ms || *ms == 0 || *ms > 1'000'000'000'000ull) {
      fail(key, "'" + *v + "' is not a positive duration such as 1s, 500ms or 1m");
      return;
    }
    out = *ms;
  }
  Regex regex(std::string_view key, const std::string& text) {
    try {
      return std::make_shared<const boost::regex>(text, boost::regex::perl);
    } catch (const boost::regex_error& e) {
      fail(key, "bad regular expression '" + text + "': " + e.what());
      return nullptr;
    }
  }
  // A required absolute path (addprefix.prefix, replacepath.path).
  void path(std::string_view key, std::string& out) {
    string(key, out);
    if (out.empty()) return fail(key, "required");
    if (out.front() != '/') fail(key, "must start with '/'");
  }
  // A required regular expression.
  Regex required_regex(std::string_view key) {
    std::string text;
    string(key, text);
    if (text.empty()) {
      fail(key, "required");
      return nullptr;
    }
    return regex(key, text);
  }
  void cidrs(std::string_view key, std::vector<model::Cidr>& out) {
    auto v = find(key);
    if (!v) return;
    for (const auto& part : text::split_list(*v)) {
      auto c = model::Cidr::parse(part);
      if (!c) return fail(key, c.error());
      out.push_back(*c);
    }
  }
  void ip_strategy(const std::string& prefix, IpStrategy& s) {
    integer<std::uint32_t>(prefix + ".depth", s.depth, 0, 64);
    cidrs(prefix + ".excludedips", s.excluded);
    if (find(prefix + ".ipv6subnet")) fail(prefix + ".ipv6subnet", "not supported by Wharf");
    if (s.depth > 0 && !s.excluded.empty())
      fail(prefix, "depth and excludedIPs exclude each other");
  }
  void source_criterion(SourceCriterion& c) {
    ip_strategy("sourcecriterion.ipstrategy", c.ip);
    string("sourcecriterion.requestheadername", c.header);
    boolean("sourcecriterion.requesthost", c.host);
    int n = (c.ip.depth > 0 || !c.ip.excluded.empty()) + !c.header.empty() + c.host;
    if (n > 1)
      fail("sourcecriterion", "set only one of ipStrategy, requestHeaderName, requestHost");
  }

  Result<Spec> finish(Spec spec) {
    for (std::size_t i = 0; i < options_.size(); ++i) {
      if (used_[i]) continue;
      const std::string near = nearest(options_[i].first);
      errors_.push_back(options_[i].first + ": unknown option" +
                        (near.empty() ? "" : " (did you mean " + near + "?)"));
    }
    if (!errors_.empty()) return Error{text::join(errors_, "; ")};
    return spec;
  }

 private:
  // The option this one is a typo of: one this type reads, at most two edits away.
  std::string nearest(const std::string& key) const {
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& k : known_) {
      const std::size_t n = key.size(), m = k.size();
      if (n > m + 2 || m > n + 2) continue;
      std::vector<std::size_t> row(m + 1);
      for (std::size_t j = 0; j <= m; ++j) row[j] = j;
      for (std::size_t i = 1; i <= n; ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= m; ++j) {
          const std::size_t up = row[j];
          row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (key[i - 1] != k[j - 1])});
          diagonal = up;
        }
      }
      if (row[m] < best_distance) best_distance = row[m], best = k;
    }
    return best;
  }

  const Options& options_;
  std::vector<std::string> known_;  // Every option a reader asked for.
  std::vector<bool> used_;
  std::vector<std::string> errors_;
  std::vector<std::string>* warnings_;
};

inline void require(Reader& r, std::string_view key, bool present) {
  if (!present) r.fail(key, "required");
}

// The spec of the types that act on the exchange with the server (spec_exchange.cpp), or
// nothing when `type` is not one of them.
std::optional<Spec> parse_exchange_type(std::string_view type, Reader& r);

}  // namespace wharf::middleware_config::detail
