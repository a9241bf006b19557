#include <charconv>
#include <optional>

#include "middleware/option_reader.hpp"
#include "middleware/spec.hpp"

// Readers for the middlewares that act on the exchange with the server rather than on the
// request alone: retry, circuitbreaker, buffering, compress and errors.
namespace wharf::middleware_config {
namespace {

using detail::Reader;
using detail::require;
using model::Error;
using model::Result;

// "500", "500-599" or "404,500-599" (labels) / one entry of a YAML list; ranges inclusive.
bool parse_status_range(std::string_view s, StatusRange& out) {
  auto num = [](std::string_view t, unsigned& v) {
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc{} && end == t.data() + t.size() && v >= 100 && v <= 599;
  };
  auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    if (!num(s, out.from)) return false;
    out.to = out.from;
    return true;
  }
  return num(s.substr(0, dash), out.from) && num(s.substr(dash + 1), out.to) && out.from <= out.to;
}

void status_ranges(Reader& r, std::string_view key, std::vector<StatusRange>& out) {
  auto v = r.find(key);
  if (!v) return;
  for (const auto& part : text::split_list(*v)) {
    StatusRange range;
    if (!parse_status_range(part, range)) {
      return r.fail(key, "'" + part + "' is not a status code or range such as 500-599");
    }
    out.push_back(range);
  }
}

Spec read_retry(Reader& r) {
  Retry s;
  r.integer<std::uint32_t>("attempts", s.attempts, 1, 10);
  require(r, "attempts", s.attempts > 0);
  r.duration_ms("initialinterval", s.initial_interval_ms);
  return s;
}

Spec read_circuit_breaker(Reader& r) {
  CircuitBreaker s;
  std::string text;
  r.string("expression", text);
  if (text.empty()) {
    r.fail("expression", "required");
  } else if (auto e = BreakerExpression::parse(text); !e) {
    r.fail("expression", "'" + text + "': " + e.error());
  } else {
    s.expression = *e;
  }
  r.duration_ms("checkperiod", s.check_period_ms);
  r.duration_ms("fallbackduration", s.fallback_ms);
  r.duration_ms("recoveryduration", s.recovery_ms);
  r.integer<unsigned>("responsecode", s.response_code, 100, 599);
  return s;
}

// Traefik's buffering.retryExpression, in the form its documentation and real configurations
// use: `IsNetworkError() && Attempts() < N` (or `<= N`, either order). The number of tries in
// all. Wharf never holds a request body, so it can only try again what failed before the
// server answered, and only when no body was sent yet: what IsNetworkError() selects, with the
// retry middleware's rules. Other expressions (ResponseCode(), ||) are refused, saying so.
Result<std::uint32_t> retry_attempts(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != ' ' && c != '\t') s += c;
  }
  const std::string kShape =
      "only 'IsNetworkError() && Attempts() < N' (or <= N) can be honoured: Wharf never holds a "
      "request body, so it tries again only requests that failed before the server answered";
  bool network = false;
  std::optional<std::uint32_t> attempts;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find("&&", start);
    std::string term = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (term == "IsNetworkError()") {
      network = true;
    } else if (term.starts_with("Attempts()<")) {
      bool inclusive = term.starts_with("Attempts()<=");
      std::string_view n = std::string_view(term).substr(inclusive ? 12 : 11);
      std::uint32_t v = 0;
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
      if (ec != std::errc{} || p != n.data() + n.size() || v > 10) {
        return Error{"'" + std::string(text) + "': Attempts() is compared with 0 to 10"};
      }
      attempts = inclusive ? v + 1 : v;
    } else {
      return Error{"'" + std::string(text) + "': " + kShape};
    }
    if (end == std::string::npos) break;
    start = end + 2;
  }
  if (!network || !attempts) return Error{"'" + std::string(text) + "': " + kShape};
  return *attempts;
}

Spec read_buffering(Reader& r) {
  Buffering s;
  constexpr std::uint64_t kMax = std::uint64_t{1} << 50;
  r.integer<std::uint64_t>("maxrequestbodybytes", s.max_request_body, 0, kMax);
  r.integer<std::uint64_t>("maxresponsebodybytes", s.max_response_body, 0, kMax);
  // Traefik spools bodies above these sizes to disk; Wharf never holds a body, so there is
  // nothing to size. Accepted so existing configurations work unchanged (docs/middlewares.md).
  std::uint64_t ignored = 0;
  r.integer<std::uint64_t>("memrequestbodybytes", ignored, 0, kMax);
  r.integer<std::uint64_t>("memresponsebodybytes", ignored, 0, kMax);
  if (auto v = r.find("retryexpression")) {
    auto attempts = retry_attempts(*v);
    if (!attempts) {
      r.fail("retryexpression", attempts.error());
    } else {
      s.retry.attempts = *attempts;
    }
  }
  return s;
}

Spec read_compress(Reader& r) {
  Compress s;
  std::vector<std::string> excluded, included;
  r.list("excludedcontenttypes", excluded);
  r.list("includedcontenttypes", included);
  for (const auto& t : excluded) s.excluded_types.push_back(media_type(t));
  for (const auto& t : included) s.included_types.push_back(media_type(t));
  if (!excluded.empty() && !included.empty()) {
    r.fail("includedcontenttypes",
           "excludedContentTypes and includedContentTypes exclude each other");
  }
  r.integer<std::uint64_t>("minresponsebodybytes", s.min_bytes, 0, std::uint64_t{1} << 40);
  if (auto v = r.find("encodings")) {
    s.encodings = text::split_list(*v);
    if (s.encodings.empty()) r.fail("encodings", "at least one encoding is required");
  }
  r.string("defaultencoding", s.default_encoding);
  for (auto* e : {&s.default_encoding}) {
    if (!e->empty() && *e != "gzip" && *e != "br" && *e != "zstd") {
      r.fail("defaultencoding", "'" + *e + "': expected gzip, br or zstd");
    }
  }
  for (const auto& e : s.encodings) {
    if (e != "gzip" && e != "br" && e != "zstd") {
      r.fail("encodings", "'" + e + "': expected gzip, br or zstd");
    }
  }
  return s;
}

Spec read_errors(Reader& r) {
  Errors s;
  status_ranges(r, "status", s.status);
  require(r, "status", !s.status.empty());
  r.string("service", s.service);
  require(r, "service", !s.service.empty());
  r.string("query", s.query);
  if (s.query.empty()) s.query = "/";
  if (s.query.front() != '/') r.fail("query", "must start with '/'");
  if (s.query.find_first_of(" \r\n") != std::string::npos)
    r.fail("query", "must not contain spaces");
  for (const auto& [from, to] : r.under("statusrewrites")) {
    StatusRange range;
    unsigned code = 0;
    auto [end, ec] = std::from_chars(to.data(), to.data() + to.size(), code);
    if (!parse_status_range(from, range)) {
      r.fail("statusrewrites", "'" + from + "' is not a status code or range");
    } else if (ec != std::errc{} || end != to.data() + to.size() || code < 100 || code > 599) {
      r.fail("statusrewrites." + from, "'" + to + "' is not a status code");
    } else {
      s.rewrites.emplace_back(range, code);
    }
  }
  s.request_headers = r.under("requestheaders");
  for (auto& [name, value] : s.request_headers) {
    // Options come lower-cased; the page service gets the names as they are usually written.
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (i == 0 || name[i - 1] == '-') {
        name[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
      }
    }
    if (name.empty() || name.find_first_of(" :\t\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      r.fail("requestheaders." + name, "not a header name and one-line value");
    }
  }
  return s;
}

}  // namespace

std::string media_type(std::string_view content_type) {
  std::string out;
  for (char c : content_type.substr(0, content_type.find(';'))) {
    if (c != ' ' && c != '\t')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<Spec> detail::parse_exchange_type(std::string_view type, Reader& r) {
  if (type == "retry") return read_retry(r);
  if (type == "circuitbreaker") return read_circuit_breaker(r);
  if (type == "buffering") return read_buffering(r);
  if (type == "compress") return read_compress(r);
  if (type == "errors") return read_errors(r);
  return std::nullopt;
}

}  // namespace wharf::middleware_config
