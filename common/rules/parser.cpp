#include "rules/parser.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>

namespace wharf::rules {
namespace {

// A Host value as the request's host is compared (see normalize_host): lower case, without
// the brackets of an IPv6 literal and without a trailing dot. Rules carry no port, so a bare
// IPv6 address ("10::10") keeps its colons.
std::string rule_host(std::string h) {
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.size() > 1 && h.back() == '.') h.pop_back();
  return h;
}

using model::Error;
using model::Result;

enum class Tok { kIdent, kString, kLParen, kRParen, kComma, kAnd, kOr, kNot, kEnd, kBad };

struct Token {
  Tok kind;
  std::string text;    // Identifier name, or a string's content.
  std::size_t column;  // 1-based, as shown to users.
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kIdent:
      return "'" + t.text + "'";
    case Tok::kString:
      return "string \"" + t.text + "\"";
    case Tok::kLParen:
      return "'('";
    case Tok::kRParen:
      return "')'";
    case Tok::kComma:
      return "','";
    case Tok::kAnd:
      return "'&&'";
    case Tok::kOr:
      return "'||'";
    case Tok::kNot:
      return "'!'";
    case Tok::kEnd:
      return "end of rule";
    case Tok::kBad:
      return t.text;
  }
  return "?";
}

struct MatcherSpec {
  std::string_view name;
  MatcherKind kind;
  std::size_t min_args;
  std::size_t max_args;
};

// Host, Path, PathPrefix and Method take one value in Traefik v3; several values (the v2 form)
// are accepted as alternatives so labels written for Traefik v2 keep working.
constexpr std::array kMatchers{
    MatcherSpec{"Host", MatcherKind::kHost, 1, 64},
    MatcherSpec{"HostRegexp", MatcherKind::kHostRegexp, 1, 1},
    MatcherSpec{"Path", MatcherKind::kPath, 1, 64},
    MatcherSpec{"PathPrefix", MatcherKind::kPathPrefix, 1, 64},
    MatcherSpec{"PathRegexp", MatcherKind::kPathRegexp, 1, 1},
    MatcherSpec{"PathSegmentPrefix", MatcherKind::kPathSegmentPrefix, 1, 1},
    MatcherSpec{"Method", MatcherKind::kMethod, 1, 64},
    MatcherSpec{"Header", MatcherKind::kHeader, 2, 2},
    MatcherSpec{"HeaderRegexp", MatcherKind::kHeaderRegexp, 2, 2},
    MatcherSpec{"Query", MatcherKind::kQuery, 1, 2},
    MatcherSpec{"QueryRegexp", MatcherKind::kQueryRegexp, 1, 2},
    MatcherSpec{"ClientIP", MatcherKind::kClientIP, 1, 64},
};

constexpr std::array kTcpMatchers{
    MatcherSpec{"HostSNI", MatcherKind::kHostSNI, 1, 64},
    MatcherSpec{"HostSNIRegexp", MatcherKind::kHostSNIRegexp, 1, 1},
    MatcherSpec{"ClientIP", MatcherKind::kClientIP, 1, 64},
    MatcherSpec{"ALPN", MatcherKind::kALPN, 1, 1},
};

class Parser {
 public:
  Parser(std::string_view text, std::span<const MatcherSpec> matchers)
      : text_(text), matchers_(matchers) {
    advance();
  }

  Result<Node> parse_all() {
    auto node = parse_or(0);
    if (!node) return node;
    if (cur_.kind != Tok::kEnd) return expected("'&&', '||' or end of rule");
    return node;
  }

 private:
  // Nesting is bounded so a hostile rule cannot exhaust the stack.
  static constexpr int kMaxDepth = 64;

  Result<Node> parse_or(int depth) {
    auto left = parse_and(depth);
    if (!left) return left;
    while (cur_.kind == Tok::kOr) {
      advance();
      auto right = parse_and(depth);
      if (!right) return right;
      left = binary(Node::Op::kOr, std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<Node> parse_and(int depth) {
    auto left = parse_unary(depth);
    if (!left) return left;
    while (cur_.kind == Tok::kAnd) {
      advance();
      auto right = parse_unary(depth);
      if (!right) return right;
      left = binary(Node::Op::kAnd, std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<Node> parse_unary(int depth) {
    if (depth > kMaxDepth) return Error{at(cur_) + "rule is nested too deeply"};
    if (cur_.kind == Tok::kNot) {
      advance();
      auto inner = parse_unary(depth + 1);
      if (!inner) return inner;
      Node n;
      n.op = Node::Op::kNot;
      n.children.push_back(std::move(*inner));
      return n;
    }
    if (cur_.kind == Tok::kLParen) {
      advance();
      auto inner = parse_or(depth + 1);
      if (!inner) return inner;
      if (cur_.kind != Tok::kRParen) return expected("')'");
      advance();
      return inner;
    }
    if (cur_.kind == Tok::kIdent) return parse_matcher();
    return expected("a matcher such as " + std::string(matchers_.front().name) +
                    "(`example.com`), '!' or '('");
  }

  Result<Node> parse_matcher() {
    Token name = cur_;
    // Matcher names compare without case, as Traefik's matcher tables look them up:
    // `host(...)` and `PATHPREFIX(...)` are Host and PathPrefix.
    auto same = [](std::string_view a, std::string_view b) {
      return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
             });
    };
    auto spec = std::find_if(matchers_.begin(), matchers_.end(),
                             [&](const MatcherSpec& s) { return same(s.name, name.text); });
    if (spec == matchers_.end()) {
      std::string known;
      for (const auto& s : matchers_) known += (known.empty() ? "" : ", ") + std::string(s.name);
      return Error{at(name) + "unknown matcher '" + name.text + "' (expected one of " + known +
                   ")"};
    }
    advance();
    if (cur_.kind != Tok::kLParen) return expected("'(' after " + name.text);
    advance();
    std::vector<Token> args;
    for (;;) {
      if (cur_.kind != Tok::kString) return expected("a quoted value (`...` or \"...\")");
      args.push_back(cur_);
      advance();
      if (cur_.kind == Tok::kComma) {
        advance();
        continue;
      }
      if (cur_.kind == Tok::kRParen) break;
      return expected("',' or ')'");
    }
    advance();
    if (args.size() < spec->min_args || args.size() > spec->max_args) {
      std::string want =
          spec->min_args == spec->max_args
              ? std::to_string(spec->min_args)
              : std::to_string(spec->min_args) + " to " + std::to_string(spec->max_args);
      return Error{at(name) + name.text + " takes " + want + " value(s), got " +
                   std::to_string(args.size())};
    }
    return build(*spec, name, args);
  }

  Result<Node> build(const MatcherSpec& spec, const Token& name, const std::vector<Token>& args) {
    Node n;
    n.matcher.kind = spec.kind;
    for (const auto& a : args) {
      // An empty value matches nothing a client could mean (Traefik refuses it too).
      if (a.text.empty()) return Error{at(a) + name.text + " needs non-empty values"};
      n.matcher.args.push_back(a.text);
    }
    auto& m = n.matcher;
    // QueryRegexp(`k`) alone is Query(`k`), as in Traefik.
    if (spec.kind == MatcherKind::kQueryRegexp && args.size() == 1) {
      m.kind = MatcherKind::kQuery;
      return n;
    }
    if (spec.kind == MatcherKind::kHost || spec.kind == MatcherKind::kHostRegexp ||
        spec.kind == MatcherKind::kHostSNI || spec.kind == MatcherKind::kHostSNIRegexp) {
      // Hosts are ASCII on the wire (IDNs travel as punycode, xn--...), as Traefik requires.
      for (const auto& a : args) {
        for (unsigned char c : a.text) {
          if (c >= 0x80) {
            return Error{at(a) + name.text + " '" + a.text +
                         "': not ASCII; write an international name in punycode (xn--...)"};
          }
        }
      }
    }
    switch (spec.kind) {
      case MatcherKind::kHost:
        for (auto& h : m.args) {
          h = rule_host(h);
          if (h.empty()) return Error{at(name) + "Host needs a non-empty domain"};
          // A wildcard covers exactly one leading label: "*.example.com"; "*" alone is any
          // host (Traefik v3.7.7 takes it so).
          if (h != "*" && h.find('*') != std::string::npos &&
              (h.rfind("*.", 0) != 0 || h.find('*', 1) != std::string::npos || h.size() < 3)) {
            return Error{at(name) + "Host wildcard '" + h +
                         "' must be a single leading label, like *.example.com"};
          }
        }
        break;
      case MatcherKind::kMethod:
        for (auto& v : m.args) {
          std::transform(v.begin(), v.end(), v.begin(),
                         [](unsigned char c) { return std::toupper(c); });
        }
        break;
      case MatcherKind::kPath:
      case MatcherKind::kPathPrefix:
      case MatcherKind::kPathSegmentPrefix:
        for (std::size_t i = 0; i < args.size(); ++i) {
          if (m.args[i].empty() || m.args[i][0] != '/') {
            return Error{at(args[i]) + name.text + " value must start with '/'"};
          }
          std::string norm;
          normalize_path(m.args[i], norm);
          m.args[i] = std::move(norm);
        }
        if (spec.kind == MatcherKind::kPathSegmentPrefix) {
          // Kubernetes ignores a trailing slash on a Prefix path.
          while (m.args[0].size() > 1 && m.args[0].back() == '/') m.args[0].pop_back();
        }
        break;
      case MatcherKind::kHostSNI:
        for (auto& h : m.args) {
          h = rule_host(h);
          if (h.empty()) return Error{at(name) + "HostSNI needs a non-empty domain"};
          // Traefik v3: a name or `*` (every connection); patterns are HostSNIRegexp's.
          if (h != "*" && h.find('*') != std::string::npos) {
            return Error{at(name) + "HostSNI '" + h +
                         "' takes a name or `*`; match patterns with HostSNIRegexp"};
          }
        }
        break;
      case MatcherKind::kALPN:
        // acme-tls/1 belongs to TLS-ALPN-01 validation, which Wharf answers itself.
        if (m.args[0] == "acme-tls/1") {
          return Error{at(name) + "ALPN `acme-tls/1` is reserved for ACME validation"};
        }
        break;
      case MatcherKind::kHostSNIRegexp:
      case MatcherKind::kHostRegexp:
      case MatcherKind::kPathRegexp:
      case MatcherKind::kHeaderRegexp:
      case MatcherKind::kQueryRegexp: {
        const Token& pattern = args.back();
        try {
          // HostRegexp is matched against the lower-cased host, with the pattern as written
          // (Traefik's behaviour: `[A-Z]+` matches no host).
          m.regex = std::make_shared<const boost::regex>(pattern.text, boost::regex::perl);
        } catch (const boost::regex_error& e) {
          return Error{at(pattern) + "bad regular expression: " + e.what()};
        }
        break;
      }
      case MatcherKind::kClientIP:
        for (std::size_t i = 0; i < args.size(); ++i) {
          auto c = model::Cidr::parse(args[i].text);
          if (!c) return Error{at(args[i]) + c.error()};
          m.cidrs.push_back(*c);
        }
        break;
      case MatcherKind::kHeader:
      case MatcherKind::kQuery:
        break;
    }
    return n;
  }

  static Node binary(Node::Op op, Node left, Node right) {
    Node n;
    n.op = op;
    n.children.push_back(std::move(left));
    n.children.push_back(std::move(right));
    return n;
  }

  static std::string at(const Token& t) { return "column " + std::to_string(t.column) + ": "; }

  Error expected(const std::string& what) const {
    return Error{at(cur_) + "expected " + what + ", found " + describe(cur_)};
  }

  void advance() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    std::size_t col = pos_ + 1;
    if (pos_ >= text_.size()) {
      cur_ = {Tok::kEnd, "", col};
      return;
    }
    char c = text_[pos_];
    auto two = text_.substr(pos_, 2);
    if (c == '(') {
      ++pos_;
      cur_ = {Tok::kLParen, "(", col};
    } else if (c == ')') {
      ++pos_;
      cur_ = {Tok::kRParen, ")", col};
    } else if (c == ',') {
      ++pos_;
      cur_ = {Tok::kComma, ",", col};
    } else if (c == '!') {
      ++pos_;
      cur_ = {Tok::kNot, "!", col};
    } else if (two == "&&") {
      pos_ += 2;
      cur_ = {Tok::kAnd, "&&", col};
    } else if (two == "||") {
      pos_ += 2;
      cur_ = {Tok::kOr, "||", col};
    } else if (c == '`' || c == '"') {
      auto end = text_.find(c, pos_ + 1);
      if (end == std::string_view::npos) {
        pos_ = text_.size();
        cur_ = {Tok::kBad, std::string("an unterminated string (missing closing ") + c + ")", col};
        return;
      }
      cur_ = {Tok::kString, std::string(text_.substr(pos_ + 1, end - pos_ - 1)), col};
      pos_ = end + 1;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      auto end = pos_;
      while (end < text_.size() && std::isalnum(static_cast<unsigned char>(text_[end]))) ++end;
      cur_ = {Tok::kIdent, std::string(text_.substr(pos_, end - pos_)), col};
      pos_ = end;
    } else {
      ++pos_;
      cur_ = {Tok::kBad, std::string("unexpected character '") + c + "'", col};
    }
  }

  std::string_view text_;
  std::span<const MatcherSpec> matchers_;  // The rule language's: HTTP's or TCP's.
  std::size_t pos_ = 0;
  Token cur_{Tok::kEnd, "", 1};
};

}  // namespace

Result<Node> parse(std::string_view rule) {
  if (rule.size() > 64 * 1024) return Error{"rule is longer than 64 KiB"};
  return Parser(rule, kMatchers).parse_all();
}

Result<Node> parse_tcp(std::string_view rule) {
  if (rule.size() > 64 * 1024) return Error{"rule is longer than 64 KiB"};
  return Parser(rule, kTcpMatchers).parse_all();
}

std::vector<std::string> required_hosts(const Node& node) {
  switch (node.op) {
    case Node::Op::kMatch:
      if (node.matcher.kind != MatcherKind::kHost && node.matcher.kind != MatcherKind::kHostSNI) {
        return {};
      }
      // Host(`*`) and HostSNI(`*`) needs no particular host: the rule is indexed as a host-less one
      // (and no certificate is asked for it).
      for (const auto& h : node.matcher.args) {
        if (h == "*") return {};
      }
      return node.matcher.args;
    case Node::Op::kAnd: {
      auto left = required_hosts(node.children[0]);
      return left.empty() ? required_hosts(node.children[1]) : left;
    }
    case Node::Op::kOr: {
      auto left = required_hosts(node.children[0]);
      auto right = required_hosts(node.children[1]);
      if (left.empty() || right.empty()) return {};
      left.insert(left.end(), right.begin(), right.end());
      return left;
    }
    case Node::Op::kNot:
      return {};
  }
  return {};
}

}  // namespace wharf::rules
