// The idle deadline behind every data-plane timeout (dataplane/io/idle_deadline.hpp): it fires no
// earlier than the latest deadline given, once, and leaves nothing behind. Only lower bounds on
// time are asserted: a timer may fire late on a busy machine, never early.
#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dataplane/io/idle_deadline.hpp"

namespace wharf::dataplane {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A deadline on `io` that counts its expiries and notes the time of the last.
struct Watched {
  explicit Watched(boost::asio::io_context& io)
      : deadline(io.get_executor(), [this] {
          ++fired;
          at = Clock::now();
        }) {}
  int fired = 0;
  Clock::time_point at;
  IdleDeadline deadline;
};

TEST(IdleDeadline, FiresOnceAtTheDeadline) {
  boost::asio::io_context io;
  Watched w(io);
  const auto start = Clock::now();
  w.deadline.expires_after(50ms);
  EXPECT_FALSE(w.deadline.expired());
  io.run();  // Returns once the timer has fired: no work is left behind.
  EXPECT_EQ(w.fired, 1);
  EXPECT_TRUE(w.deadline.expired());
  EXPECT_GE(w.at - start, 50ms);
}

TEST(IdleDeadline, ALaterDeadlineWinsAndAnEarlierOneTakesEffectAtOnce) {
  boost::asio::io_context io;
  Watched w(io);
  const auto start = Clock::now();
  w.deadline.expires_after(60ms);
  boost::asio::steady_timer later(io, 20ms);
  later.async_wait([&](auto) { w.deadline.expires_after(300ms); });  // Bytes moved: idle again.
  io.run();
  EXPECT_EQ(w.fired, 1);
  EXPECT_GE(w.at - start, 320ms);

  // Armed far away, then a short grace: the short one counts.
  boost::asio::io_context io2;
  Watched e(io2);
  e.deadline.expires_after(1h);
  const auto start2 = Clock::now();
  e.deadline.expires_after(30ms);
  io2.run();
  EXPECT_EQ(e.fired, 1);
  EXPECT_GE(e.at - start2, 30ms);
  EXPECT_LT(e.at - start2, 1h);
}

TEST(IdleDeadline, NeverMeansNever) {
  boost::asio::io_context io;
  int fired = 0;
  IdleDeadline d(io.get_executor(), [&] { ++fired; });
  d.expires_after(30ms);
  d.expires_never();  // A connection going back to the pool.
  io.run();           // The armed timer fires once more, finds nothing due, and is done.
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(d.expired());
}

TEST(IdleDeadline, DestroyedWhileArmedLeavesNothingToCallBack) {
  boost::asio::io_context io;
  int fired = 0;
  auto d = std::make_unique<IdleDeadline>(io.get_executor(), [&] { ++fired; });
  d->expires_after(10ms);
  d.reset();
  // And one whose timer already completed but whose handler has not run yet.
  auto e = std::make_unique<IdleDeadline>(io.get_executor(), [&] { ++fired; });
  e->expires_after(1ms);
  std::this_thread::sleep_for(20ms);
  io.poll_one();  // May queue the completion...
  e.reset();      // ...which then finds the deadline gone.
  io.run();
  EXPECT_LE(fired, 1);  // Zero, or one if the first poll already ran the handler.
}

}  // namespace
}  // namespace wharf::dataplane
