#include "dist/solver.h"

#include <fmt/format.h>

#include "mfrec/engines.h"
#include "mfrec/error.h"

namespace mfrec::dist {

bool distributable(const std::string& optimizer) {
  return optimizer == "als" || optimizer == "ials" || optimizer == "mcmc" || optimizer == "sgd";
}

std::unique_ptr<Solver> make_solver(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model) {
  // What rank 0's model is, and the sizes every rank must see in its own copy of the data.
  struct Header {
    uint64_t users, items, ratings;
    uint32_t dim;
    uint8_t kind, precision;
  } h{d.users->size(), d.items->size(), d.ratings, o.dim, 0, 0};
  if (comm.rank() == 0) {
    h.dim = model->dim, h.kind = uint8_t(model->kind), h.precision = uint8_t(model->precision());
    if (model->n_users() != h.users || model->n_items() != h.items)
      throw DataError("the model's sizes are not the data's (distributed training)");
  }
  Header mine = h;
  comm.broadcast(&h, sizeof h);
  if (h.users != mine.users || h.items != mine.items || h.ratings != mine.ratings || h.dim != o.dim)
    throw DataError(fmt::format("rank {} has {} users, {} items and {} training ratings; rank 0 has {}, {} and {} "
                                "(every rank must read the same data with the same options)",
                                comm.rank(), mine.users, mine.items, mine.ratings, h.users, h.items, h.ratings));
  if (o.optimizer == "als") return make_dist_als(comm, d, o, model, ModelKind(h.kind), Precision(h.precision));
  if (o.optimizer == "sgd") return make_dist_sgd(comm, d, o, model, ModelKind(h.kind), Precision(h.precision));
  if (o.optimizer == "ials") return make_dist_ials(comm, d, o, model);
  if (o.optimizer == "mcmc") return make_dist_mcmc(comm, d, o, model, ModelKind(h.kind));
  throw UsageError("`optimizer` " + o.optimizer + " cannot train on several ranks (distributed: als, ials, mcmc, sgd)");
}

}  // namespace mfrec::dist
