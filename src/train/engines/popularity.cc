// The most-popular baseline: every user gets the items with the most training interactions. As a
// model of dim 1, every user's row is 1 and an item's row is its interaction count, so that it is
// evaluated, recommended and served as any other model.
#include <algorithm>
#include <cmath>

#include "train/engine.h"

namespace mfrec {
namespace {

class PopularityEngine final : public Engine {
 public:
  PopularityEngine(Model& model, const Ratings& train, const TrainOptions&) : Engine(model), train_(train) {}

  double run_epoch(uint32_t) override {
    std::vector<float> count(model_.n_items(), 0.0f);
    for (uint32_t i : train_.item) count[i] += 1.0f;
    // Scaled to at most 1, so that 16-bit storage holds any count.
    const float most = std::max(1.0f, *std::max_element(count.begin(), count.end()));
    for (float& c : count) c /= most;
    const float one = 1.0f;
    for (size_t u = 0; u < model_.n_users(); ++u) model_.P.write_row(u, &one);
    for (size_t i = 0; i < model_.n_items(); ++i) model_.Q.write_row(i, &count[i]);
    return 0;
  }

  FoldInPrior prior(const TrainOptions&) const override {
    FoldInPrior p;
    p.kind = FoldInPrior::Kind::mean_user;
    return p;
  }

 private:
  const Ratings& train_;
};

}  // namespace

std::unique_ptr<Engine> make_popularity(Model& model, const Ratings& train, const TrainOptions& o) {
  if (model.dim != 1) {
    model.dim = 1;
    model.P = FactorMatrix(model.n_users(), 1, model.precision());
    model.Q = FactorMatrix(model.n_items(), 1, model.precision());
  }
  return std::make_unique<PopularityEngine>(model, train, o);
}

}  // namespace mfrec
