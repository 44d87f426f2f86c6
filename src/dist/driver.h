#pragma once
// Rank 0 runs the library's own training pipeline (fit(), train()'s epoch loop, validation,
// evaluation, the checkpoint) as in one process, with an Engine each of whose steps is a command to
// every rank: set up, run an epoch, gather the rows. The other ranks wait for those commands
// (follow) and hold only their share of the data once set up.
#include <cstdint>
#include <functional>
#include <vector>

#include "dist/comm.h"
#include "dist/solver.h"

namespace mfrec::dist {

// One epoch's traffic: the most any rank sent or received, and the totals over all ranks.
struct EpochTraffic {
  uint64_t max_sent = 0, max_received = 0, total_sent = 0, total_received = 0;
};

struct RunReport {
  std::vector<EpochTraffic> epochs;  // one per epoch run
  uint64_t setup_sent = 0;           // rank 0's rows and user means to the owners, the id requests (all ranks)
  uint64_t gathers = 0, gather_received = 0;  // what rank 0 received gathering the model
};

// Rank 0: puts the distributed engines in the registry in place of the one-process als, ials, mcmc and sgd,
// with `users` and `items` the data's id maps (ownership hashes the external ids).
void use_distributed_engines(const IdMap& users, const IdMap& items);
const RunReport& run_report();  // rank 0
// Rank 0: after every `every` epochs (0: never), gathers the model and hands it and the epoch to
// `write` (which saves a checkpoint).
void checkpoint_every(uint32_t every, std::function<void(const Model&, uint32_t epoch)> write);
// Each rank's resident memory in MB, in rank order: its peak (loading the data included) and the
// most it held after an epoch.
struct MemoryReport {
  std::vector<double> peak_mb, training_mb;
};
MemoryReport memory_report();  // rank 0, collective
// Rank 0: whether the other ranks wait for a command (none is under way), so that finish() may be
// sent; false while one is being carried out (an error then must abort the job instead).
bool idle();
// Rank 0: tells the other ranks to return `code` from follow().
void finish(int code);

// The other ranks: carry out rank 0's commands on `data` until it finishes; `release` frees the data
// once the engine holds its share. Returns rank 0's exit code.
int follow(Comm& comm, const SharedData& data, const TrainOptions& o, const std::function<void()>& release);

}  // namespace mfrec::dist
