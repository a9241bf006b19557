// find_request_head: where a request head ends in the bytes read so far, before Beast parses
// it. The session reads on while it says kIncomplete; the other verdicts end the read.

#include <gtest/gtest.h>

#include "dataplane/server/request_head.hpp"

namespace wharf::dataplane::server {
namespace {

TEST(RequestHead, IncompleteUntilTheEmptyLineThenItsSize) {
  std::size_t skip = 0;
  EXPECT_EQ(find_request_head("", skip).status, HeadStatus::kIncomplete);
  EXPECT_EQ(find_request_head("GET / HTTP/1.1\r\nHost: a\r\n", skip).status,
            HeadStatus::kIncomplete);
  auto whole = find_request_head("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody", skip);
  EXPECT_EQ(whole.status, HeadStatus::kOk);
  EXPECT_EQ(whole.size, 27u);
  EXPECT_EQ(skip, 0u);
}

TEST(RequestHead, LeadingEmptyLinesAreSkippedAndFoldingAndHugeHeadsRefused) {
  std::size_t skip = 0;
  auto after_crlfs = find_request_head("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", skip);
  EXPECT_EQ(after_crlfs.status, HeadStatus::kOk);
  EXPECT_EQ(skip, 4u);
  auto folded = find_request_head("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", skip);
  EXPECT_EQ(folded.status, HeadStatus::kBad);
  EXPECT_EQ(folded.reason, "header line folding (obs-fold) is not accepted");
  const std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(kMaxRequestHead, 'a');
  EXPECT_EQ(find_request_head(huge, skip).status, HeadStatus::kTooLarge);
  EXPECT_EQ(find_request_head(huge + "\r\n\r\n", skip).status, HeadStatus::kTooLarge);
}

}  // namespace
}  // namespace wharf::dataplane::server
