// Status and Result: the one error currency at every module boundary.
//
// A Status is either ok or carries a code and a message written for the person who
// has to act on it: what was wrong, where, and what to do. Functions that can fail
// return Status (or Result<T> when they also produce a value); neither may be
// ignored.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace budgetsync {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the input is malformed: a non-numeric amount, a bad code
  kNotFound,            // a named thing (form, row, column, file) does not exist
  kOutOfRange,          // a number too large to hold exactly
  kFailedPrecondition,  // the request is well-formed but not allowed now
  kIoError,             // the disk or the operating system failed
  kCorruption,          // stored data is not what we wrote
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status OutOfRange(std::string msg) { return {StatusCode::kOutOfRange, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status IoError(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is prefixed with `context: `, for adding the
  // file, line or field an inner error came from.
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be ok

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace budgetsync

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define BS_RETURN_IF_ERROR(expr)                                      \
  do {                                                                \
    if (::budgetsync::Status bs_status_ = (expr); !bs_status_.ok()) { \
      return bs_status_;                                              \
    }                                                                 \
  } while (0)

// Evaluates `expr` (a Result<T>); returns its Status when it failed, else
// declares `lhs` holding the value.
#define BS_ASSIGN_OR_RETURN(lhs, expr)                  \
  auto lhs##_result = (expr);                           \
  if (!lhs##_result.ok()) return lhs##_result.status(); \
  auto lhs = std::move(*lhs##_result)
