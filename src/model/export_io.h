#pragma once
// The helpers behind export_model that are not part of the public API (defined in model/export.cc;
// the tests use them for round trips).
#include <cstddef>
#include <string>
#include <vector>

namespace mfrec {

// Reads a float32 .npy file written by write_npy; throws DataError.
std::vector<float> read_npy(const std::string& path, std::vector<size_t>* shape = nullptr);

// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
std::string csv_field(const std::string& s);

}  // namespace mfrec
