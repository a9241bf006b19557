#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace wharf::dataplane::proxy {

// Message heads are written from dozens of short pieces per request (names, separators,
// values). std::string's append checks the capacity and calls memcpy for each piece, about
// 50 instructions; here the space for a group of pieces is made once, literals are copied
// with their size known at compile time, and short pieces with a few moves instead of a
// call.
namespace piece {

inline void copy(char* d, const char* s, std::size_t n) {
  // Two overlapping loads and stores cover every length in each range.
  if (n >= 8 && n <= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
    std::memcpy(d, &a, 8);
    std::memcpy(d + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    std::uint32_t a, b;
    std::memcpy(&a, s, 4);
    std::memcpy(&b, s + n - 4, 4);
    std::memcpy(d, &a, 4);
    std::memcpy(d + n - 4, &b, 4);
  } else if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    std::memcpy(d, s, n);
  }
}

inline std::size_t size(std::string_view s) {
  return s.size();
}
template <std::size_t N>
constexpr std::size_t size(const char (&)[N]) {
  return N - 1;
}

inline char* put(char* d, std::string_view s) {
  copy(d, s.data(), s.size());
  return d + s.size();
}
template <std::size_t N>
char* put(char* d, const char (&s)[N]) {
  std::memcpy(d, s, N - 1);
  return d + N - 1;
}

}  // namespace piece

// The total size of `pieces` (string views and string literals).
template <typename... Pieces>
std::size_t size_of(const Pieces&... pieces) {
  return (piece::size(pieces) + ...);
}

// Copies `pieces` to `d`, which has room for them; returns the end.
template <typename... Pieces>
char* put(char* d, const Pieces&... pieces) {
  ((d = piece::put(d, pieces)), ...);
  return d;
}

// Makes `n` more bytes at the end of `out` and returns where they start.
inline char* grow(std::string& out, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  return out.data() + at;
}

// Appends `pieces` to `out`.
template <typename... Pieces>
void append(std::string& out, const Pieces&... pieces) {
  put(grow(out, size_of(pieces...)), pieces...);
}

}  // namespace wharf::dataplane::proxy
