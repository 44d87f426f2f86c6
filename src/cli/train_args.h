#pragma once
// The training options on the command line (train and tune share them).
#include <string>

#include <CLI/CLI.hpp>

#include "mfrec/train.h"

namespace mfrec::cli {

struct TrainArgs {
  TrainOptions options;
  std::string model_kind = "biased", precision = "fp32", keep = "best", confidence = "binary";
  void add(CLI::App& cmd);
  TrainOptions resolve() const;  // names -> enums, validated
};

}  // namespace mfrec::cli
