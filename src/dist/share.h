#pragma once
// How the worker ranks get their data: rank 0 reads and splits the data as one process does (it runs
// validation, evaluation and the checkpoint, so it holds the split), then sends every other rank the
// ids and only the training ratings it solves with, those of its own users or of its own items, in
// training order. A worker's memory is then its share, never the whole file.
#include "dist/comm.h"
#include "dist/solver.h"
#include "mfrec/id_map.h"
#include "mfrec/ratings.h"

namespace mfrec::dist {

struct Share {
  IdMap users, items;
  Ratings train;         // this rank's ratings (for ials, their confidences in `value`)
  uint64_t ratings = 0;  // the whole training part's size
  bool confidence = false;
  SharedData view() const { return {&train, &users, &items, ratings, confidence}; }
};

// Collective. Rank 0 passes its whole training part and ids (and gets an empty Share); the other
// ranks pass nulls and receive theirs.
Share share_data(Comm& comm, const Ratings* train, const IdMap* users, const IdMap* items, const TrainOptions& o);

}  // namespace mfrec::dist
