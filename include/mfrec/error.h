#pragma once
// Errors mfrec reports to the user. DataError: the input (a ratings file, a checkpoint) is wrong,
// exit 1. UsageError: the request (an option, an id, a value) is wrong, exit 2.
#include <stdexcept>
#include <string>

namespace mfrec {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mfrec
