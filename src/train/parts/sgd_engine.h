#pragma once
// The SGD engine's internal switch between its two parallel schedules (for tests and benchmarks;
// make_sgd() picks the one --schedule names).
#include "train/engine.h"

namespace mfrec {

enum class SgdSchedule {
  blocks,   // FPSG: the rating grid and the block scheduler (parts/block_scheduler.h)
  hogwild,  // threads take ratings from one shuffled array, no coordination at all
};

std::unique_ptr<Engine> make_sgd_engine(Model& model, const Ratings& train, const TrainOptions& options,
                                        SgdSchedule schedule);

}  // namespace mfrec
