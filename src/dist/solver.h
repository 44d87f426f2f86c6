#pragma once
// The part of a distributed engine every rank holds: its users' and items' rows and ratings. Rank 0
// drives it from the epoch loop (driver.h); the other ranks follow its commands.
#include <memory>
#include <optional>
#include <string>

#include "dist/comm.h"
#include "mfrec/model.h"
#include "mfrec/train.h"

namespace mfrec::dist {

// What a rank trains on.
struct SharedData {
  const Ratings* train = nullptr;  // rank 0: the whole training part; the others: their share (share.h)
  const IdMap* users = nullptr;
  const IdMap* items = nullptr;
  uint64_t ratings = 0;     // the whole training part's size
  bool confidence = false;  // `train`'s values are iALS's confidences already
};

class Solver {
 public:
  virtual ~Solver() = default;
  // One sweep, collective; returns the engine's loss over all ratings, on every rank.
  virtual double epoch(uint32_t epoch) = 0;
  // Collective: every rank's rows to rank 0, into `model` (rank 0's; null elsewhere).
  virtual void gather(Model* model) = 0;
  // Rank 0, for engines whose model is not their rows (mcmc: the posterior mean): the RMSE of what
  // the model gets, computed as the one-process engine does; empty: of the gathered model.
  virtual std::optional<double> rmse(const Model& model, const Ratings& ratings) const { return std::nullopt; }
  // Rank 0: true while the parameters are not yet a result (mcmc's burn-in), as Engine::burning_in.
  virtual bool burning_in() const { return false; }
};

// The optimizers that can train on several ranks.
bool distributable(const std::string& optimizer);

// Collective. Rank 0 passes the model to start from (its rows and user means go to their owners,
// its kind, dim and precision to every rank); the other ranks pass null. Throws DataError on a rank
// whose data is not rank 0's.
std::unique_ptr<Solver> make_solver(Comm& comm, const SharedData& data, const TrainOptions& o, const Model* model);

std::unique_ptr<Solver> make_dist_als(Comm& comm, const SharedData& data, const TrainOptions& o, const Model* model,
                                      ModelKind kind, Precision precision);
std::unique_ptr<Solver> make_dist_sgd(Comm& comm, const SharedData& data, const TrainOptions& o, const Model* model,
                                      ModelKind kind, Precision precision);
std::unique_ptr<Solver> make_dist_ials(Comm& comm, const SharedData& data, const TrainOptions& o, const Model* model);
std::unique_ptr<Solver> make_dist_mcmc(Comm& comm, const SharedData& data, const TrainOptions& o, const Model* model,
                                       ModelKind kind);

}  // namespace mfrec::dist
