// libFuzzer target: the relay's parse step for chunked bodies (detail::next_piece), fed the
// same bytes at once and in pieces. Whatever the pieces, the relay must end as a single
// delivery does: the same body when that completes, never a completion that it does not
// reach, never body bytes that it would not pass on, and the same trailer fields, which a next
// hop reads back as they were written. The first two input bytes choose the body buffer (1-64
// bytes) and the piece sizes; the rest follows a chunked request head.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "test_common/chunked_feed.hpp"

using wharf::test::Fed;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t buffer = 1 + data[0] % 64;
  const std::array<std::size_t, 3> pieces{1u + data[1] % 7, 1u + (data[1] >> 3) % 13, 1};
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::array<std::size_t, 1> whole{bytes.size()};
  const Fed once = wharf::test::feed_chunked(bytes, whole, buffer);
  const Fed split = wharf::test::feed_chunked(bytes, pieces, buffer);
  if ((once.end == Fed::End::kDone) != (split.end == Fed::End::kDone)) std::abort();
  if (once.end == Fed::End::kDone && once.body != split.body) std::abort();
  // The same trailers passed on, in a form the next hop reads back the same.
  if (once.end == Fed::End::kDone && once.ending != split.ending) std::abort();
  if (once.end == Fed::End::kDone && wharf::test::reparsed_ending(once.ending) != once.ending) {
    std::abort();
  }
  // Whatever was passed on is the start of the same body.
  const auto& shorter = once.body.size() < split.body.size() ? once.body : split.body;
  const auto& longer = once.body.size() < split.body.size() ? split.body : once.body;
  if (longer.compare(0, shorter.size(), shorter) != 0) std::abort();
  return 0;
}
