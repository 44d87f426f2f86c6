// load_model on the input written to a file. The last 8 bytes are replaced by the checksum of the
// rest, so that mutations reach the header and tables instead of stopping at the checksum. A model
// that loads must also serve: a Recommender over it and one top_k call.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "mfrec/checkpoint.h"
#include "mfrec/error.h"
#include "mfrec/recommend.h"
#include "model/checkpoint_format.h"

namespace mfrec::fuzz {

void checkpoint_one(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= 8) {
    const uint64_t sum = checkpoint::checksum(bytes.data(), bytes.size() - 8);
    std::memcpy(bytes.data() + bytes.size() - 8, &sum, 8);
  }
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("mfrec-fuzz-checkpoint-" + std::to_string(getpid()) + ".mfm")).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }
  try {
    Model model = load_model(path);
    Recommender rec(std::move(model));
    if (rec.n_users() > 0) rec.top_k(0, 5);
    if (rec.n_users() > 1) rec.top_k(uint32_t(rec.n_users() - 1), 5, true);
  } catch (const DataError&) {
  } catch (const UsageError&) {
  }
}

}  // namespace mfrec::fuzz

#ifndef MFREC_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mfrec::fuzz::checkpoint_one(data, size);
  return 0;
}
#endif
