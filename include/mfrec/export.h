#pragma once
// Exporting a model for other tools: the factors and biases as NumPy .npy files (little-endian
// float32, C order: numpy.load reads them) and the id maps as CSV.
//
// Files written under `dir` (created if needed):
//   user_factors.npy  (users x dim)   item_factors.npy (items x dim)
//   user_bias.npy     (users)         item_bias.npy    (items)        user_mean.npy (users)
//   users.csv         index,id        items.csv        index,id,title,genres
//   model.json        kind, dim, global_mean, rating range, sizes, and the model's metadata
// Row r of a factor table is the user (item) whose index is r in users.csv (items.csv). A prediction
// is user_mean[u] + user_bias[u] + item_bias[i] + user_factors[u] . item_factors[i] (the plain kind:
// the dot product alone).
#include <cstdint>
#include <string>
#include <vector>

#include "mfrec/model.h"

namespace mfrec {

// Writes the files listed above; returns their paths. Throws DataError when a file cannot be written.
std::vector<std::string> export_model(const Model& model, const std::string& dir);

// One .npy file of float32 values with the given shape (1 or 2 dimensions), C order.
void write_npy(const std::string& path, const float* data, const std::vector<size_t>& shape);

}  // namespace mfrec
