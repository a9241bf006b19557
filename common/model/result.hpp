#pragma once

#include <string>
#include <utility>
#include <variant>

namespace wharf::model {

// A value or a human-readable reason it could not be produced. The data path reports bad
// input as values (never exceptions), and every reason ends up in a log line, a nack or a
// diagnostic, so a plain string is the error type.
struct Error {
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

// What an operation that produces nothing returns: success (`return model::kOk;`) or the
// reason it failed (`return Error{...}`). Callers test it like any Result.
struct Ok {
  bool operator==(const Ok&) const = default;
};
inline constexpr Ok kOk{};
using Status = Result<Ok>;

}  // namespace wharf::model
