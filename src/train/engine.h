#pragma once
// An optimizer: it owns whatever state it needs (moments, a device copy, a block grid) and runs
// one epoch at a time over the training ratings. The epoch loop (trainer.cc) does the rest.
#include <memory>

#include "mfrec/model.h"
#include "mfrec/train.h"

namespace mfrec {

class Engine {
 public:
  virtual ~Engine() = default;
  // One pass over the training ratings (`epoch` is 1-based, it seeds the shuffle). Returns the mean
  // squared error of the predictions made during the pass, before each update.
  virtual double run_epoch(uint32_t epoch) = 0;
  // RMSE (unclipped) on held-out ratings with the current parameters.
  virtual double rmse(const Ratings& ratings);
  // Brings the model's parameters up to date (engines that keep them elsewhere, e.g. on a GPU).
  virtual void sync() {}
  // True while the parameters are not yet a result (MCMC's burn-in): the epoch loop then neither
  // keeps them as the best epoch nor counts the epoch towards --patience.
  virtual bool burning_in() const { return false; }
  // How a new user is folded into the trained model; by default ridge regression with the L2
  // weight per rating the engine trained with.
  virtual FoldInPrior prior(const TrainOptions& o) const {
    FoldInPrior p;
    p.reg_per_rating = o.reg;
    return p;
  }

 protected:
  explicit Engine(Model& model) : model_(model) {}
  Model& model_;
};

// The engines' factories: each engine is one file under engines/, built from parts/, and one row
// of registry.cc.
std::unique_ptr<Engine> make_adam(Model& model, const Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_sgd(Model& model, const Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_sgd_in_place(Model& model, Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_als(Model& model, const Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_als_in_place(Model& model, Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_mcmc(Model& model, const Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_mcmc_in_place(Model& model, Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_cuda(Model& model, const Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_ials(Model& model, const Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_ials_in_place(Model& model, Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_bpr(Model& model, const Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_ease(Model& model, const Ratings& train, const TrainOptions& options);
std::unique_ptr<Engine> make_popularity(Model& model, const Ratings& train, const TrainOptions& options);

// The engine of options.optimizer from the registry (train/registry.cc), on options.device. With
// `lent` (== &train), an engine that can may use train's own columns instead of copying them: it
// may reorder the rows and change their values (to targets or confidences), and hold the columns
// while it lives (the part reads empty then); once it goes, or fails to be made, each row has its
// user and item again, which is all fit() reads of the training part afterwards.
std::unique_ptr<Engine> make_engine(Model& model, const Ratings& train, const TrainOptions& options,
                                    Ratings* lent = nullptr);

// train() on rows lent to the engine as make_engine says: fit() of a split handed over.
TrainResult train_in_place(Model& model, Ratings& train, const Ratings& val, const TrainOptions& options,
                           const EpochCallback& on_epoch, const RankingOptions& val_protocol);

}  // namespace mfrec
