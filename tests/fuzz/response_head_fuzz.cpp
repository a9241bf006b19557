// libFuzzer target: the plain response-head parser (the proxy's fast path for upstream
// response heads) against Beast's parser, which handles every other head: any disagreement
// on a head the plain parser takes is a crash. The same bytes go through the scan and rewrite
// of heads with bare LFs, whole and in two pieces cut where the first byte says.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "test_common/head_lines_check.hpp"
#include "test_common/plain_vs_beast.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto why = wharf::test::plain_vs_beast(bytes); !why.empty()) {
    std::fprintf(stderr, "%s\n", why.c_str());
    std::abort();
  }
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  if (auto why = wharf::test::check_head_lines(bytes, split); !why.empty()) {
    std::fprintf(stderr, "%s\n", why.c_str());
    std::abort();
  }
  return 0;
}
