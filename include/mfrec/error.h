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

// An external user or item id the model does not know (a UsageError: exit 2 in the CLI).
class UnknownIdError : public UsageError {
 public:
  UnknownIdError(const std::string& what, std::string id) : UsageError(what), id_(std::move(id)) {}
  const std::string& id() const { return id_; }

 private:
  std::string id_;
};

}  // namespace mfrec
