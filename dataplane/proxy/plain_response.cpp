#include "dataplane/proxy/plain_response.hpp"

#include <bit>
#include <cstring>

#include "text/ows.hpp"

namespace wharf::dataplane::proxy {
namespace {

using Table = std::array<bool, 256>;

// tchar (RFC 9110 section 5.6.2): the characters of a field name.
constexpr Table make_tchar() {
  Table t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr Table kTchar = make_tchar();

// The characters of a field value and of a reason phrase: HTAB, SP, VCHAR and obs-text.
constexpr Table make_text() {
  Table t{};
  for (int c = 0x20; c < 0x100; ++c) t[c] = c != 0x7f;
  t['\t'] = true;
  return t;
}
constexpr Table kText = make_text();

constexpr std::uint64_t k01 = 0x0101010101010101ull, k80 = k01 * 0x80;

std::uint64_t load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The first position at or after `p` that does not hold a text character (or the end).
// Eight bytes at a time while whole words remain, with the "has a byte less than n" bit
// trick: each flagged byte is below 0x20 or equal to 0x7f, and the lowest one flagged is
// exactly the first such byte (borrows only run towards higher bytes; x86 is little-endian).
// HTAB is the one such byte that is text.
std::size_t skip_text(std::string_view s, std::size_t p) {
  while (p + 8 <= s.size()) {
    const std::uint64_t w = load8(s.data() + p);
    const std::uint64_t del = w ^ (k01 * 0x7f);
    const std::uint64_t flags = (((w - k01 * 0x20) & ~w) | ((del - k01) & ~del)) & k80;
    if (flags == 0) {
      p += 8;
      continue;
    }
    p += static_cast<std::size_t>(std::countr_zero(flags)) / 8;
    if (s[p] != '\t') return p;
    ++p;
  }
  while (p < s.size() && kText[static_cast<unsigned char>(s[p])]) ++p;
  return p;
}

// `s` equals `lower` (lower-case letters and '-') ignoring case. Setting bit 0x20 turns only
// upper-case letters into lower-case ones, and only CR (never in a name or a value) into '-';
// eight bytes at a time (two overlapping words for 8 to 16 bytes).
bool name_is(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  const std::size_t n = s.size();
  if (n >= 8 && n <= 16) {
    constexpr std::uint64_t kCase = k01 * 0x20;
    return (((load8(s.data()) | kCase) ^ load8(lower.data())) |
            ((load8(s.data() + n - 8) | kCase) ^ load8(lower.data() + n - 8))) == 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if ((static_cast<unsigned char>(s[i]) | 0x20) != static_cast<unsigned char>(lower[i])) {
      return false;
    }
  }
  return true;
}

enum class Kind { kOther, kHopByHop, kConnection, kContentLength, kNotPlain };

// By length first: most names are none of these and cost one switch.
Kind classify(std::string_view name) {
  switch (name.size()) {
    case 2:
      return name_is(name, "te") ? Kind::kHopByHop : Kind::kOther;
    case 7:
      return name_is(name, "trailer") || name_is(name, "upgrade") ? Kind::kHopByHop : Kind::kOther;
    case 10:
      if (name_is(name, "connection")) return Kind::kConnection;
      return name_is(name, "keep-alive") ? Kind::kHopByHop : Kind::kOther;
    case 14:
      return name_is(name, "content-length") ? Kind::kContentLength : Kind::kOther;
    case 16:
      // Beast's parser reads this old field as Connection: its path keeps that behaviour.
      return name_is(name, "proxy-connection") ? Kind::kNotPlain : Kind::kOther;
    case 17:
      return name_is(name, "transfer-encoding") ? Kind::kNotPlain : Kind::kOther;
    default:
      return Kind::kOther;
  }
}

bool parse_length(std::string_view v, std::uint64_t& out) {
  // 19 digits always fit in 64 bits; a longer length is no body this proxy will relay.
  if (v.empty() || v.size() > 19) return false;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  out = n;
  return true;
}

}  // namespace

PlainParse parse_plain_response(std::string_view bytes, PlainResponse& out) {
  constexpr auto kIncomplete = PlainParse::kIncomplete, kNotPlain = PlainParse::kNotPlain;
  const std::size_t n = bytes.size();
  // The status line: "HTTP/1.x SP 3DIGIT SP reason CRLF".
  if (n < 13) return kIncomplete;
  if (!bytes.starts_with("HTTP/1.") || (bytes[7] != '0' && bytes[7] != '1') || bytes[8] != ' ' ||
      bytes[12] != ' ') {
    return kNotPlain;
  }
  unsigned code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (bytes[i] < '0' || bytes[i] > '9') return kNotPlain;
    code = code * 10 + static_cast<unsigned>(bytes[i] - '0');
  }
  if (code < 200 || code > 599 || code == 204 || code == 304) return kNotPlain;
  std::size_t pos = skip_text(bytes, 13);
  if (pos + 1 >= n) return kIncomplete;
  if (bytes[pos] != '\r' || bytes[pos + 1] != '\n') return kNotPlain;
  out.status = bytes.substr(9, 3);
  out.status_code = code;
  out.reason = bytes.substr(13, pos - 13);
  pos += 2;

  out.run_count = 0;
  std::size_t run_start = pos;
  bool have_length = false;
  enum { kNone, kKeepAlive, kClose } connection = kNone;
  // Each line is a name of token characters, a colon, text, CRLF. Whitespace starting a line
  // (obs-fold) or before the colon, and an empty name, all stop the name short of a colon.
  for (;;) {
    if (pos + 1 >= n) return kIncomplete;
    if (bytes[pos] == '\r') {
      if (bytes[pos + 1] != '\n') return kNotPlain;
      break;
    }
    std::size_t colon = pos;
    while (colon < n && kTchar[static_cast<unsigned char>(bytes[colon])]) ++colon;
    if (colon >= n) return kIncomplete;
    if (colon == pos || bytes[colon] != ':') return kNotPlain;
    const std::size_t eol = skip_text(bytes, colon + 1);
    if (eol + 1 >= n) return kIncomplete;
    if (bytes[eol] != '\r' || bytes[eol + 1] != '\n') return kNotPlain;  // Bare LF, NUL...
    const auto value = bytes.substr(colon + 1, eol - colon - 1);         // Trimmed where read.
    const std::size_t next = eol + 2;
    bool drop = false;
    switch (classify(bytes.substr(pos, colon - pos))) {
      case Kind::kOther:
        break;
      case Kind::kNotPlain:
        return kNotPlain;
      case Kind::kContentLength:
        if (have_length || !parse_length(text::trim_ows(value), out.content_length))
          return kNotPlain;
        have_length = true;
        break;
      case Kind::kConnection:
        // Any other option may name fields that are hop-by-hop too: Beast's path strips those.
        if (connection != kNone) return kNotPlain;
        if (name_is(text::trim_ows(value), "keep-alive")) {
          connection = kKeepAlive;
        } else if (name_is(text::trim_ows(value), "close")) {
          connection = kClose;
        } else {
          return kNotPlain;
        }
        drop = true;
        break;
      case Kind::kHopByHop:
        drop = true;
        break;
    }
    if (drop) {
      if (pos > run_start) {
        if (out.run_count == PlainResponse::kMaxRuns) return kNotPlain;
        out.runs[out.run_count++] = bytes.substr(run_start, pos - run_start);
      }
      run_start = next;
    }
    pos = next;
  }
  if (!have_length) return kNotPlain;
  if (pos > run_start) {
    if (out.run_count == PlainResponse::kMaxRuns) return kNotPlain;
    out.runs[out.run_count++] = bytes.substr(run_start, pos - run_start);
  }
  // RFC 9112 section 9.3: HTTP/1.1 persists unless closed, HTTP/1.0 only when asked to.
  out.keep_alive = bytes[7] == '1' ? connection != kClose : connection == kKeepAlive;
  out.size = pos + 2;
  return PlainParse::kPlain;
}

}  // namespace wharf::dataplane::proxy
