// load_dataset on the input laid out as a user would hand it over: the first byte picks the form
// (an ml-1m folder whose ratings.dat and movies.dat are the two halves of the rest, a CSV file, a
// tab file, a .gz file or a .zip archive of the rest), so that the layout detection, the catalog
// reader and libarchive's path are reached. Bad input must end in DataError/UsageError.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace mfrec::fuzz {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, std::string_view bytes) {
  std::ofstream(file, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace

void dataset_one(const uint8_t* data, size_t size) {
  if (size < 2) return;
  static const fs::path dir = fs::temp_directory_path() / ("mfrec-fuzz-dataset-" + std::to_string(getpid()));
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  fs::path path;
  switch (data[0] % 5) {
    case 0: {  // an ml-1m folder: ratings.dat, then movies.dat from byte data[1] of 256 along the rest
      const size_t cut = rest.size() * data[1] / 256;
      write(dir / "ratings.dat", rest.substr(0, cut));
      write(dir / "movies.dat", rest.substr(cut));
      path = dir;
      break;
    }
    case 1: write(path = dir / "ratings.csv", rest); break;
    case 2: write(path = dir / "u.data", rest); break;
    case 3: write(path = dir / "ratings.dat.gz", rest); break;
    default: write(path = dir / "ml.zip", rest); break;
  }
  try {
    load_dataset({.path = path.string()});
  } catch (const DataError&) {
  } catch (const UsageError&) {
  }
  fs::remove_all(dir, ec);
}

}  // namespace mfrec::fuzz

#ifndef MFREC_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mfrec::fuzz::dataset_one(data, size);
  return 0;
}
#endif
