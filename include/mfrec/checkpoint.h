#pragma once
// The model file: a magic number, a format version, a JSON header (hyper-parameters, sizes), the
// tables, and a 64-bit checksum over everything before it. Written atomically: a temporary file,
// fsync, rename, so a crash never leaves a half-written model behind.
#include <string>
#include <string_view>

#include "mfrec/model.h"

namespace mfrec {

inline constexpr uint32_t kCheckpointVersion = 1;

void save_model(const Model& model, const std::string& path);
Model load_model(const std::string& path);  // throws DataError: missing, truncated, corrupt, version
// The same bytes in memory (pickling); `name` is what errors call them.
std::string encode_model(const Model& model);
Model decode_model(std::string_view bytes, const std::string& name = "model bytes");

}  // namespace mfrec
