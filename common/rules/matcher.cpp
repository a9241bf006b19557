#include <algorithm>
#include <cctype>

#include "rules/ast.hpp"
#include "text/percent.hpp"

namespace wharf::rules {
namespace {

// RFC 3986 section 2.2's reserved characters, and '%' itself: decoding them would change what
// the path says (a %2F is not a separator), so they stay encoded for matching.
bool is_reserved(unsigned char c) {
  static constexpr std::string_view kReserved = ":/?#[]@!$&'()*+,;=%";
  return kReserved.find(static_cast<char>(c)) != std::string_view::npos;
}

// Regex evaluation must never throw into the data path: Boost reports runaway backtracking as
// an exception, which is treated as "no match".
bool regex_search(const boost::regex& re, std::string_view text) {
  try {
    return boost::regex_search(text.begin(), text.end(), re);
  } catch (const std::exception&) {
    return false;
  }
}

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return true;
  if (pattern.size() > 2 && pattern[0] == '*') {
    // "*.example.com" covers exactly one extra label.
    auto suffix = pattern.substr(1);
    if (host.size() <= suffix.size() || !host.ends_with(suffix)) return false;
    auto label = host.substr(0, host.size() - suffix.size());
    return label.find('.') == std::string_view::npos;
  }
  return pattern == host;
}

bool segment_prefix(std::string_view prefix, std::string_view path) {
  if (prefix == "/") return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

// Walks "a=1&b=2" decoding keys and values the way HTML forms encode them ('+' is a space).
template <typename F>
bool any_query_param(std::string_view query, F&& f) {
  std::string key, value;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    text::form_decode(pair.substr(0, eq), key);
    text::form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1),
                      value);
    if (!pair.empty() && f(key, value)) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

bool match(const Matcher& m, const RequestView& req) {
  const auto& a = m.args;
  switch (m.kind) {
    case MatcherKind::kHost:
      return std::any_of(a.begin(), a.end(),
                         [&](const std::string& p) { return host_matches(p, req.host); });
    case MatcherKind::kHostRegexp:
      return regex_search(*m.regex, req.host);
    case MatcherKind::kPath:
      return std::find(a.begin(), a.end(), req.path) != a.end();
    case MatcherKind::kPathPrefix:
      return std::any_of(a.begin(), a.end(),
                         [&](const std::string& p) { return req.path.starts_with(p); });
    case MatcherKind::kPathSegmentPrefix:
      return segment_prefix(a[0], req.path);
    case MatcherKind::kPathRegexp:
      return regex_search(*m.regex, req.path);
    case MatcherKind::kMethod:
      return std::find(a.begin(), a.end(), req.method) != a.end();
    case MatcherKind::kHeader:
      return req.headers &&
             req.headers->any_value(a[0], [&](std::string_view v) { return v == a[1]; });
    case MatcherKind::kHeaderRegexp:
      return req.headers && req.headers->any_value(a[0], [&](std::string_view v) {
        return regex_search(*m.regex, v);
      });
    case MatcherKind::kQuery:
      return any_query_param(req.query, [&](const std::string& k, const std::string& v) {
        // Query(`k`) alone: the key present with an empty value (`?k` or `?k=`), as Traefik.
        return k == a[0] && v == (a.size() == 1 ? std::string() : a[1]);
      });
    case MatcherKind::kQueryRegexp:
      return any_query_param(req.query, [&](const std::string& k, const std::string& v) {
        return k == a[0] && regex_search(*m.regex, v);
      });
    case MatcherKind::kClientIP:
      return req.client_ip && model::any_contains(m.cidrs, *req.client_ip);
    case MatcherKind::kHostSNI:  // TCP matchers: parse() never makes them.
    case MatcherKind::kHostSNIRegexp:
    case MatcherKind::kALPN:
      return false;
  }
  return false;
}

bool match(const Matcher& m, const ConnectionView& conn) {
  const auto& a = m.args;
  switch (m.kind) {
    case MatcherKind::kHostSNI:
      return std::any_of(a.begin(), a.end(), [&](const std::string& h) {
        return h == "*" || (!conn.sni.empty() && h == conn.sni);
      });
    case MatcherKind::kHostSNIRegexp:
      return !conn.sni.empty() && regex_search(*m.regex, conn.sni);
    case MatcherKind::kALPN:
      return conn.alpn && std::find(conn.alpn->begin(), conn.alpn->end(), a[0]) != conn.alpn->end();
    case MatcherKind::kClientIP:
      return conn.client_ip && model::any_contains(m.cidrs, *conn.client_ip);
    default:  // HTTP matchers: parse_tcp() never makes them.
      return false;
  }
}

template <typename View>
bool evaluate_node(const Node& node, const View& view) {
  switch (node.op) {
    case Node::Op::kMatch:
      return match(node.matcher, view);
    case Node::Op::kAnd:
      return evaluate_node(node.children[0], view) && evaluate_node(node.children[1], view);
    case Node::Op::kOr:
      return evaluate_node(node.children[0], view) || evaluate_node(node.children[1], view);
    case Node::Op::kNot:
      return !evaluate_node(node.children[0], view);
  }
  return false;
}

}  // namespace

bool evaluate(const Node& node, const RequestView& req) {
  return evaluate_node(node, req);
}

bool evaluate(const Node& node, const ConnectionView& conn) {
  return evaluate_node(node, conn);
}

void normalize_path(std::string_view raw, std::string& out) {
  out.clear();
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (const int b = text::percent_byte(raw, i); b >= 0) {
      auto c = static_cast<unsigned char>(b);
      if (!is_reserved(c)) {
        out += static_cast<char>(c);
        i += 2;
        continue;
      }
    }
    out += raw[i];
  }
}

void normalize_host(std::string_view raw, std::string& out) {
  out.clear();
  if (!raw.empty() && raw.front() == '[') {
    // An IPv6 literal compares without its brackets, as Traefik's Host(`10::10`) does.
    auto close = raw.find(']');
    raw = raw.substr(1, close == std::string_view::npos ? raw.size() - 1 : close - 1);
  } else {
    raw = raw.substr(0, raw.find(':'));
  }
  if (!raw.empty() && raw.back() == '.') raw.remove_suffix(1);
  // ASCII only, as DNS names compare (RFC 4343); a call to tolower per character was a
  // tenth of the routing cost.
  out.resize(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    out[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  }
}

}  // namespace wharf::rules
