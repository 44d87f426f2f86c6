#pragma once
// The SGD engine's internal switch between its two parallel schedules (for tests and benchmarks;
// make_sgd() picks the one --schedule names).
#include "train/engine.h"

namespace mfrec {

enum class SgdSchedule {
  blocks,   // FPSG: the rating grid and the block scheduler (parts/block_scheduler.h)
  hogwild,  // threads take ratings from one shuffled array, no coordination at all
};

// With `lent`, the grid is built in train's own columns (lent == &train), which come back reordered.
std::unique_ptr<Engine> make_sgd_engine(Model& model, const Ratings& train, const TrainOptions& options,
                                        SgdSchedule schedule, Ratings* lent = nullptr);

}  // namespace mfrec
