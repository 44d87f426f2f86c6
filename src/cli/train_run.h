#pragma once
// `mfrec train`'s pipeline in two steps, loading and the rest, so that the distributed program
// (src/cli/mpi_main/) loads the same way on every rank and writes the same outputs from rank 0,
// with its own fitter.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/data_args.h"
#include "cli/train_args.h"
#include "mfrec/fit.h"

namespace mfrec::cli {

struct TrainCommand {
  DataArgs data;
  TrainArgs train;
  std::string output;
  int device_id = 0;
  bool resume = false, quiet = false;
  std::filesystem::path out_dir() const;
};

// Every option of `mfrec train` on `cmd`, read into `a`.
void add_train_options(CLI::App& cmd, TrainCommand& a);

struct TrainingData {
  TrainOptions options;
  DataArgs data_args;  // as used: the default data's path filled in, the split seeded by --seed
  Dataset data;
  Split split;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// Resolves the options, reads the data and splits it; `verbose` prints what was read.
TrainingData load_training_data(const TrainCommand& a, bool verbose = true);

struct TrainHooks {
  std::function<void(const Model* resume)> before_fit;      // the model resumed from, or null
  std::function<std::string(const EpochStats&)> epoch_note;  // appended to each epoch's line
  std::function<void(nlohmann::json& metrics)> metrics;     // more figures for metrics.json
  bool keep_split = false;  // the split stays whole through fit (a hook reads it); else fit frees its training part
};

// Trains, evaluates, and writes the checkpoint, the log, metrics.json and the learning curve.
nlohmann::json train_loaded(const TrainCommand& a, TrainingData& d, const TrainHooks& hooks = {});

}  // namespace mfrec::cli
