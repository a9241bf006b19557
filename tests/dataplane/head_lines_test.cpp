#include "test_common/head_lines_check.hpp"

#include <gtest/gtest.h>

#include <boost/beast/core/buffers_to_string.hpp>

#include <string>
#include <vector>

namespace wharf::test {
namespace {

using dataplane::proxy::HeadEnd;

TEST(HeadLines, EndAndBareLfsAreFoundWholeOrInPieces) {
  struct Case {
    std::string bytes;
    std::size_t end, bare;
  };
  const std::vector<Case> cases = {
      {"HTTP/1.1 200 OK\r\nA: 1\r\n\r\nbody", 25, 0},
      {"HTTP/1.1 200 OK\nA: 1\n\nbody", 22, 3},
      {"HTTP/1.1 200 OK\r\nA: 1\n\r\nbody", 24, 1},
      {"HTTP/1.1 200 OK\nA: 1\r\n\nbody", 23, 2},
      {"HTTP/1.1 200 OK\r\nA: 1\r\r\n\r\n", 26, 0},  // A CR in a line is not a line end.
      {"HTTP/1.1 200 OK\r\nA: 1\r\n", 0, 0},         // Not whole yet.
      {"HTTP/1.1 200 OK\nA: 1\n", 0, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.bytes));
    HeadEnd h;
    EXPECT_EQ(h.scan(c.bytes), c.end);
    EXPECT_EQ(h.bare_lf(), c.bare);
    for (std::size_t split = 0; split <= c.bytes.size(); ++split) {
      EXPECT_EQ(check_head_lines(c.bytes, split), "") << "split at " << split;
    }
  }
}

TEST(HeadLines, BareLfsGetACrAndTheBodyIsLeftAlone) {
  const std::string bytes = "HTTP/1.1 200\nA: 1\r\nB: 2\n\nbody\nstays\n";
  HeadEnd h;
  const std::size_t end = h.scan(bytes);
  ASSERT_EQ(end, 25u);
  dataplane::beast::flat_buffer buffer;
  buffer.commit(
      dataplane::asio::buffer_copy(buffer.prepare(bytes.size()), dataplane::asio::buffer(bytes)));
  dataplane::proxy::crlf_head(buffer, end, h.bare_lf());
  EXPECT_EQ(dataplane::beast::buffers_to_string(buffer.data()),
            "HTTP/1.1 200\r\nA: 1\r\nB: 2\r\n\r\nbody\nstays\n");
}

}  // namespace
}  // namespace wharf::test
