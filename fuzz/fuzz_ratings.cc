// parse_ratings over the input in the layouts mfrec reads: ml-1m "::", tab (ml-100k), MovieLens CSV
// with a header, and 2-field interactions. Bad input must end in DataError/UsageError, nothing else.
#include <cstdint>
#include <string_view>

#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace mfrec::fuzz {

void ratings_one(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Layout layouts[4];
  layouts[0] = {.name = "ml-1m", .sep = "::"};
  layouts[1] = {.name = "ml-100k", .sep = "\t"};
  layouts[2] = {.name = "movielens-csv", .sep = ",", .header = true, .rating_min = 0.5f, .rating_max = 5.0f};
  layouts[3] = {.name = "delimited", .sep = ",", .columns = {Column::user, Column::item}};
  for (const Layout& layout : layouts) {
    IdMap users, items;
    ReadReport report;
    try {
      parse_ratings(text, "fuzz", layout, users, items, &report);
    } catch (const DataError&) {
    } catch (const UsageError&) {
    }
  }
}

}  // namespace mfrec::fuzz

#ifndef MFREC_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mfrec::fuzz::ratings_one(data, size);
  return 0;
}
#endif
