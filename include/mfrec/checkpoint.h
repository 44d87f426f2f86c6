#pragma once
// The model file: a magic number, a format version, a JSON header (hyper-parameters, sizes), the
// tables, and a 64-bit checksum over everything before it. Written atomically: a temporary file,
// fsync, rename, so a crash never leaves a half-written model behind.
#include <string>

#include "mfrec/model.h"

namespace mfrec {

inline constexpr uint32_t kCheckpointVersion = 1;

void save_model(const Model& model, const std::string& path);
Model load_model(const std::string& path);  // throws DataError: missing, truncated, corrupt, version

}  // namespace mfrec
