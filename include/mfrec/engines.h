#pragma once
// The engines (optimizers) this build offers and what each one is, one row each in
// src/train/registry.cc: the CLI's help, validation, thread counts, tune and the trainer read them
// from here. Adding an engine is one source file in src/train/engines/ (the Engine) plus one row.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mfrec/model.h"
#include "mfrec/ratings.h"

namespace mfrec {

class Engine;
struct TrainOptions;
using EngineFactory = std::unique_ptr<Engine> (*)(Model&, const Ratings&, const TrainOptions&);
// The same on training rows it may reorder in place (each row whole): no copy of them for its layout.
using EngineFactoryInPlace = std::unique_ptr<Engine> (*)(Model&, Ratings&, const TrainOptions&);

// Where tune searches (log-uniform ranges; lo == hi: not searched) and how long a trial may run.
struct TuneSpace {
  float lr_lo = 1, lr_hi = 1, reg_lo = 1, reg_hi = 1;
  uint32_t max_epochs = 20;
  uint32_t max_dim = 4096;
};

struct EngineInfo {
  std::string name;
  std::string summary;                   // one line for --help
  EngineFactory make = nullptr;
  Objective objective = Objective::rating;  // rating: validated by RMSE; ranking: by NDCG@10
  std::string loss;                      // what EpochStats::loss means for this engine
  std::vector<std::string> options;      // the engine's own options (beyond dim, epochs, threads, seed)
  void (*validate)(const TrainOptions&) = nullptr;  // its own checks; throws UsageError
  TuneSpace space;
  bool resumable = true;                 // --resume can continue from a saved model
  bool cuda = false;                     // runs on --device cuda too
  uint32_t max_auto_threads = 0;         // threads when none are asked for (0: every core)
  bool thread_invariant = false;         // a seed gives the same model for any thread count
  std::optional<ModelKind> kind;         // the model kind it always trains (ranking engines: plain)
  bool closed_form = false;              // one epoch is the whole solution: the trainer runs one
  EngineFactoryInPlace make_in_place = nullptr;  // where the caller hands its split over (fit(Split&&))
};

const std::vector<EngineInfo>& engines();
// Throws UsageError naming the engines there are.
const EngineInfo& engine_info(const std::string& name);
// Adds (or replaces) a row at run time: for tests, and for engines outside the library.
void register_engine(const EngineInfo& info);
std::string engine_names(const std::string& separator = ", ");

}  // namespace mfrec
