#include "dataplane/server/request_id.hpp"

#include <array>
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

// Two hex digits per byte value: half the table lookups of a digit at a time.
constexpr std::array<char, 512> make_hex_pairs() {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 512> t{};
  for (int b = 0; b < 256; ++b) {
    t[2 * b] = kHex[b >> 4];
    t[2 * b + 1] = kHex[b & 15];
  }
  return t;
}
constexpr auto kHexPairs = make_hex_pairs();

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
    std::uint64_t v = ids.next();
    for (int i = 0; i < 8; ++i, v >>= 8) {
      const char* pair = &kHexPairs[2 * (v & 0xff)];
      id[half * 16 + 2 * i] = pair[0];
      id[half * 16 + 2 * i + 1] = pair[1];
    }
  }
  return true;
}

}  // namespace wharf::dataplane::server
