#pragma once

// The tests' one way to wait: for a condition, never for a fixed time. `done` is asked every
// `every` until it holds or `within` has passed; the answer is whether it held (asked once more
// at the end, so a slow machine that got there just in time still passes).

#include <chrono>
#include <thread>

namespace wharf::test {

template <typename Done>
bool eventually(Done&& done, std::chrono::milliseconds within = std::chrono::seconds(15),
                std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
  const auto end = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(every);
  }
  return done();
}

}  // namespace wharf::test
