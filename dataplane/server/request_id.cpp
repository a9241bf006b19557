#include "dataplane/server/request_id.hpp"

#include <random>

namespace wharf::dataplane::server {
namespace {

// splitmix64: fast, and statistically good enough for identifiers (not for secrets).
struct Ids {
  std::uint64_t state = std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}();
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

bool usable(std::string_view v) {
  if (v.empty() || v.size() > 200) return false;
  for (unsigned char c : v) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

const std::string& ensure_request_id(http::fields& fields, std::string& scratch) {
  auto [lo, hi] = fields.equal_range("X-Request-Id");
  if (lo != hi && std::next(lo) == hi && usable(lo->value())) {
    scratch.assign(lo->value());
    return scratch;
  }
  thread_local Ids ids;
  static constexpr char kHex[] = "0123456789abcdef";
  scratch.resize(32);
  for (int half = 0; half < 2; ++half) {
    std::uint64_t v = ids.next();
    for (int i = 0; i < 16; ++i) scratch[half * 16 + i] = kHex[(v >> (i * 4)) & 15];
  }
  // Most requests carry none: an insert then, without set()'s search for lines to replace.
  if (lo == hi) {
    fields.insert("X-Request-Id", scratch);
  } else {
    fields.set("X-Request-Id", scratch);
  }
  return scratch;
}

}  // namespace wharf::dataplane::server
