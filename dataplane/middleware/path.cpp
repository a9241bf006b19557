#include <boost/regex.hpp>

#include "dataplane/middleware/builders.hpp"

// The path middlewares rewrite the raw path that goes upstream (the query is kept as is) and
// tell the upstream what they did, in Traefik's headers: X-Forwarded-Prefix for what was
// stripped (apps build their links with it), X-Replaced-Path for the path before a
// replacement.
namespace wharf::dataplane::middleware {
namespace {

void ensure_leading_slash(std::string& path) {
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
}

void strip(Request& req, std::size_t n) {
  req.fields.set("X-Forwarded-Prefix", req.path.substr(0, n));
  req.path.erase(0, n);
  ensure_leading_slash(req.path);
  req.path_changed = true;
}

class StripPrefix : public Middleware {
 public:
  explicit StripPrefix(const spec::StripPrefix& s) : s_(s) {}
  std::optional<Reply> handle(Request& req) const override {
    for (const auto& p : s_.prefixes) {
      if (req.path.starts_with(p)) {
        strip(req, p.size());
        break;
      }
    }
    return std::nullopt;
  }

 private:
  spec::StripPrefix s_;
};

class StripPrefixRegex : public Middleware {
 public:
  explicit StripPrefixRegex(const spec::StripPrefixRegex& s) : s_(s) {}
  // The first expression that matches at the start of the path strips what it matched.
  std::optional<Reply> handle(Request& req) const override {
    for (const auto& re : s_.regexes) {
      boost::smatch m;
      if (boost::regex_search(req.path, m, *re, boost::match_continuous) && m.length(0) > 0) {
        strip(req, static_cast<std::size_t>(m.length(0)));
        break;
      }
    }
    return std::nullopt;
  }

 private:
  spec::StripPrefixRegex s_;
};

class AddPrefix : public Middleware {
 public:
  explicit AddPrefix(std::string prefix) : prefix_(std::move(prefix)) {}
  std::optional<Reply> handle(Request& req) const override {
    req.path.insert(0, prefix_);
    req.path_changed = true;
    return std::nullopt;
  }

 private:
  std::string prefix_;
};

class ReplacePath : public Middleware {
 public:
  explicit ReplacePath(std::string path) : path_(std::move(path)) {}
  std::optional<Reply> handle(Request& req) const override {
    req.fields.set("X-Replaced-Path", req.path);
    req.path = path_;
    req.path_changed = true;
    return std::nullopt;
  }

 private:
  std::string path_;
};

class ReplacePathRegex : public Middleware {
 public:
  explicit ReplacePathRegex(const spec::ReplacePathRegex& s) : s_(s) {}
  std::optional<Reply> handle(Request& req) const override {
    if (!boost::regex_search(req.path, *s_.regex)) return std::nullopt;
    req.fields.set("X-Replaced-Path", req.path);
    req.path = boost::regex_replace(req.path, *s_.regex, s_.replacement, boost::format_perl);
    ensure_leading_slash(req.path);
    req.path_changed = true;
    return std::nullopt;
  }

 private:
  spec::ReplacePathRegex s_;
};

}  // namespace

std::shared_ptr<const Middleware> make_strip_prefix(const spec::StripPrefix& s) {
  return std::make_shared<StripPrefix>(s);
}
std::shared_ptr<const Middleware> make_strip_prefix_regex(const spec::StripPrefixRegex& s) {
  return std::make_shared<StripPrefixRegex>(s);
}
std::shared_ptr<const Middleware> make_add_prefix(const spec::AddPrefix& s) {
  return std::make_shared<AddPrefix>(s.prefix);
}
std::shared_ptr<const Middleware> make_replace_path(const spec::ReplacePath& s) {
  return std::make_shared<ReplacePath>(s.path);
}
std::shared_ptr<const Middleware> make_replace_path_regex(const spec::ReplacePathRegex& s) {
  return std::make_shared<ReplacePathRegex>(s);
}

}  // namespace wharf::dataplane::middleware
