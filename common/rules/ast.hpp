#pragma once

#include <boost/regex.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/function_ref.hpp"
#include "model/ip.hpp"

namespace wharf::rules {

enum class MatcherKind {
  kHost,
  kHostRegexp,
  kPath,
  kPathPrefix,
  kPathRegexp,
  kPathSegmentPrefix,  // Wharf extension: Kubernetes pathType Prefix, element-wise on '/'.
  kMethod,
  kHeader,
  kHeaderRegexp,
  kQuery,
  kQueryRegexp,
  kClientIP,
  // TCP routers' matchers (parse_tcp): over what a connection says before its payload.
  kHostSNI,
  kHostSNIRegexp,
  kALPN,
};

struct Matcher {
  MatcherKind kind{};
  std::vector<std::string> args;              // Normalized: hosts lowercased, methods uppercased.
  std::shared_ptr<const boost::regex> regex;  // For the *Regexp kinds.
  std::vector<model::Cidr> cidrs;             // For ClientIP.
};

struct Node {
  enum class Op { kMatch, kAnd, kOr, kNot };
  Op op = Op::kMatch;
  Matcher matcher;             // When op == kMatch.
  std::vector<Node> children;  // Two for kAnd/kOr, one for kNot.
};

// Header access for matching without tying common/ to Beast.
class HeaderLookup {
 public:
  virtual ~HeaderLookup() = default;
  // Calls pred on each value of the (case-insensitive) header; true as soon as one matches.
  virtual bool any_value(std::string_view name,
                         model::FunctionRef<bool(std::string_view)> pred) const = 0;
};

// What a rule sees of a request. The data plane fills it once per request.
struct RequestView {
  std::string_view method;
  std::string_view host;   // Lowercase, no port, no trailing dot.
  std::string_view path;   // Unreserved %-escapes decoded (see normalize_path).
  std::string_view query;  // Raw, without the '?'.
  const HeaderLookup* headers = nullptr;
  const model::IpAddress* client_ip = nullptr;
  bool tls = false;  // Arrived over TLS (routers with TLS serve only these, the others only plain).
};

bool evaluate(const Node& node, const RequestView& req);

// What a TCP rule sees of a connection: the ClientHello's server name and ALPN protocols (none
// when the connection is not TLS) and the client's address.
struct ConnectionView {
  std::string_view sni;  // Lower case; empty without TLS or without the extension.
  const std::vector<std::string>* alpn = nullptr;
  const model::IpAddress* client_ip = nullptr;
};

bool evaluate(const Node& node, const ConnectionView& conn);

// Decodes %XX escapes for matching, as Traefik v3.4.1+ does, so /%61pi and /api, /a%20b and
// "/a b" match the same rules; escapes of reserved characters (RFC 3986 section 2.2, and %25)
// stay encoded, so %2F never becomes a path separator. The path sent upstream is not changed.
void normalize_path(std::string_view raw, std::string& out);

// Lowercases the Host header, drops the port, a trailing dot and an IPv6 literal's brackets.
void normalize_host(std::string_view raw, std::string& out);

}  // namespace wharf::rules
