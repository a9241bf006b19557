// The per-thread body buffers (dataplane/proxy/relay_buffer.hpp): reused between exchanges,
// bounded, and given back to the kernel once a sweep period has passed without anyone taking
// them.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/proxy/relay_buffer.hpp"

namespace wharf::dataplane::proxy {
namespace {

// Two sweeps with nothing taken in between leave no spares, whatever ran before on this thread.
void start_empty() {
  RelayBuffer::trim_spares();
  RelayBuffer::trim_spares();
  ASSERT_EQ(RelayBuffer::spare_count(), 0u);
}

TEST(RelayBuffer, AReleasedBufferIsTheNextOneTaken) {
  start_empty();
  RelayBuffer a;
  char* first = a.get();
  std::memset(first, 'x', RelayBuffer::size());  // All of it is usable.
  EXPECT_EQ(a.get(), first);                     // Held until released.
  a.release();
  EXPECT_EQ(RelayBuffer::spare_count(), 1u);
  {
    RelayBuffer b;
    EXPECT_EQ(b.get(), first);
    EXPECT_EQ(RelayBuffer::spare_count(), 0u);
  }  // Destroyed while holding it: given back too.
  EXPECT_EQ(RelayBuffer::spare_count(), 1u);
  a.release();  // Nothing held: nothing happens.
  EXPECT_EQ(RelayBuffer::spare_count(), 1u);
}

TEST(RelayBuffer, SparesUnusedForAWholeSweepPeriodAreFreed) {
  start_empty();
  {
    std::vector<std::unique_ptr<RelayBuffer>> burst;
    for (int i = 0; i < 3; ++i) burst.emplace_back(std::make_unique<RelayBuffer>())->get();
  }
  EXPECT_EQ(RelayBuffer::spare_count(), 3u);
  // The burst took every spare during this period, so none is known to be idle yet.
  RelayBuffer::trim_spares();
  EXPECT_EQ(RelayBuffer::spare_count(), 3u);
  // A steady user takes one at a time: the two it never needed go, its own stays.
  RelayBuffer steady;
  steady.get();
  steady.release();
  RelayBuffer::trim_spares();
  EXPECT_EQ(RelayBuffer::spare_count(), 1u);
  steady.get();
  steady.release();
  RelayBuffer::trim_spares();
  EXPECT_EQ(RelayBuffer::spare_count(), 1u);
  // Idle for a whole period: gone.
  RelayBuffer::trim_spares();
  EXPECT_EQ(RelayBuffer::spare_count(), 0u);
}

TEST(RelayBuffer, TheSpareListIsBounded) {
  start_empty();
  {
    std::vector<RelayBuffer> many(80);
    for (auto& b : many) b.get();
  }
  EXPECT_EQ(RelayBuffer::spare_count(), 64u);
  RelayBuffer::trim_spares();
  RelayBuffer::trim_spares();
  EXPECT_EQ(RelayBuffer::spare_count(), 0u);
}

}  // namespace
}  // namespace wharf::dataplane::proxy
