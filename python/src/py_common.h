#pragma once
// What the binding's files share: a data set part as Python sees it, and id conversion.
#include <memory>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "mfrec/mfrec.h"

namespace mfrec::py {

namespace pyb = pybind11;

// A data set, or one part of a split of it: the parts share the id space (ids, titles, rating
// range, fingerprint) and each holds its own ratings.
struct Data {
  std::shared_ptr<const Dataset> base;  // its ratings are empty: they are in `part`
  Ratings part;
  SplitKind kind = SplitKind::temporal;  // the split that made the part (its evaluation protocol)
  std::string role = "all";              // all | train | val | test
};

// Whether every id is an integer in canonical form ("12", not "012" or "1e3"): such ids go back
// to Python as int64, others as str.
bool integer_ids(const IdMap& ids);
// An id from Python (int, numpy integer or str) as the text the id maps hold.
std::string id_text(const pyb::handle& id);
// Ids of the given internal indices, as an int64 array or a list of str.
pyb::object ids_of(const IdMap& ids, bool as_int, const uint32_t* index, size_t n);

void bind_data(pyb::module_& m);
void bind_model(pyb::module_& m);

}  // namespace mfrec::py
