#include "dataplane/server/request_id.hpp"

#include <cstring>
#include <random>

#include <boost/beast/core/string.hpp>

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

// Eight lower-case hex digits for the low 32 bits of `v`, without a loop: each nibble is
// spread into a byte of its own, then turned into '0'-'9' or 'a'-'f' in all bytes at once.
// (The digits come out least significant first, which is no matter for a random id.)
std::uint64_t hex8(std::uint64_t v) {
  std::uint64_t x = v & 0xFFFFFFFFull;
  x = ((x & 0xFFFF0000ull) << 16) | (x & 0xFFFFull);
  x = ((x & 0x0000FF000000FF00ull) << 8) | (x & 0x000000FF000000FFull);
  x = ((x & 0x00F000F000F000F0ull) << 4) | (x & 0x000F000F000F000Full);
  const std::uint64_t letters = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
  return x + 0x3030303030303030ull + letters * ('a' - '0' - 10);
}

bool usable(std::string_view v) {
  if (v.empty() || v.size() > 200) return false;
  for (unsigned char c : v) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

bool is_request_id(const http::fields::value_type& f) {
  // Not a name Beast knows: compared only when the length matches.
  return f.name() == http::field::unknown && f.name_string().size() == 12 &&
         beast::iequals(f.name_string(), "X-Request-Id");
}

}  // namespace

bool take_request_id(http::fields& fields, std::string& id) {
  // One pass over the (few) fields: a lookup by name would map the name to Beast's enum and
  // walk the ordered set comparing names without case.
  const http::fields::value_type* found = nullptr;
  int lines = 0;
  for (const auto& f : fields) {
    if (is_request_id(f) && lines++ == 0) found = &f;
  }
  if (lines == 1 && usable(found->value())) {
    id.assign(found->value());
    return false;
  }
  if (lines > 0) fields.erase("X-Request-Id");
  thread_local Ids ids;
  id.resize(32);
  for (int half = 0; half < 2; ++half) {
    const std::uint64_t v = ids.next();
    const std::uint64_t digits[2] = {hex8(v), hex8(v >> 32)};
    std::memcpy(id.data() + 16 * half, digits, 16);
  }
  return true;
}

}  // namespace wharf::dataplane::server
