#pragma once
// Data the micro-benchmarks share: the generated MovieLens-1M-shaped set (6,040 users, 3,706 items,
// 1,000,209 ratings), written once to a temporary folder, and a model shaped for it.
#include <string>

#include <benchmark/benchmark.h>

#include "mfrec/mfrec.h"

namespace mfrec::bench {

const std::string& ml1m_shaped_dir();    // the folder with ratings.dat
const Dataset& ml1m_shaped();            // loaded
const Split& ml1m_shaped_split();        // random 80/20, no validation part
Model fresh_model(const TrainOptions& options);  // shaped for ml1m_shaped(), user means set

// Trains `options` on ml1m_shaped_split() one epoch per iteration, timing the epoch alone (engine
// set-up excluded: use ->UseManualTime()), and reports `counter` = training ratings per second.
void time_epochs(benchmark::State& state, TrainOptions options, const char* counter);

}  // namespace mfrec::bench
